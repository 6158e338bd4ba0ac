#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "relay/core/failure.hpp"

namespace relay::edge {

// An address block ("10.0.0.0/8", "2001:db8::/32", or one address: "192.0.2.7"). IPv4 peers
// seen on an IPv6 socket (::ffff:a.b.c.d) match IPv4 blocks.
struct Cidr {
  boost::asio::ip::address network;  // host bits cleared
  unsigned prefix = 0;               // 0..32 (IPv4) or 0..128 (IPv6)

  [[nodiscard]] bool contains(const boost::asio::ip::address& address) const;
  [[nodiscard]] std::string to_string() const;  // "10.0.0.0/8"
};

// One block, or the Failure saying (for a user) why `text` is not one.
core::Fallible<Cidr> parse_cidr(std::string_view text);

// ::ffff:a.b.c.d → a.b.c.d; anything else unchanged. Limits and trust decisions use this form.
boost::asio::ip::address canonical_address(const boost::asio::ip::address& address);

// A list of blocks (--trusted-proxies): empty trusts nobody.
class CidrSet {
 public:
  CidrSet() = default;
  explicit CidrSet(std::vector<Cidr> blocks) : blocks_(std::move(blocks)) {}

  [[nodiscard]] bool contains(const boost::asio::ip::address& address) const;
  [[nodiscard]] bool empty() const { return blocks_.empty(); }

 private:
  std::vector<Cidr> blocks_;
};

// Parses every entry; throws std::runtime_error naming `flag`, the entry and the form to use.
CidrSet parse_cidr_list(const std::vector<std::string>& entries, std::string_view flag);

}  // namespace relay::edge
