#include "relay/edge/cidr.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace relay::edge {

namespace ip = boost::asio::ip;

namespace {

template <std::size_t N>
std::array<unsigned char, N> masked(std::array<unsigned char, N> bytes, unsigned prefix) {
  for (std::size_t i = 0; i < N; ++i) {
    const unsigned bit = static_cast<unsigned>(i) * 8;
    if (prefix >= bit + 8) continue;
    const unsigned keep = prefix > bit ? prefix - bit : 0;  // 0..7 leading bits of this byte
    bytes[i] = static_cast<unsigned char>(bytes[i] & static_cast<unsigned char>(0xFF00U >> keep));
  }
  return bytes;
}

ip::address mask(const ip::address& address, unsigned prefix) {
  if (address.is_v4()) return ip::make_address_v4(masked(address.to_v4().to_bytes(), prefix));
  return ip::make_address_v6(masked(address.to_v6().to_bytes(), prefix));
}

}  // namespace

ip::address canonical_address(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

bool Cidr::contains(const ip::address& address) const {
  const auto a = canonical_address(address);
  if (a.is_v4() != network.is_v4()) return false;
  return mask(a, prefix) == network;
}

std::string Cidr::to_string() const { return fmt::format("{}/{}", network.to_string(), prefix); }

core::Fallible<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view host = text.substr(0, slash);
  if (host.empty()) {
    return core::Failure{.message = "an address is missing"};
  }
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(host), ec);
  if (ec || (address.is_v6() && address.to_v6().scope_id() != 0)) {
    return core::Failure{.message = fmt::format("'{}' is not an IPv4 or IPv6 address", host)};
  }
  address = canonical_address(address);
  const unsigned max_prefix = address.is_v4() ? 32 : 128;
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    auto [end, pec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (bits.empty() || pec != std::errc{} || end != bits.data() + bits.size() ||
        prefix > max_prefix) {
      return core::Failure{
          .message =
              fmt::format("the prefix length after '/' must be a number from 0 to {}", max_prefix)};
    }
  }
  return Cidr{mask(address, prefix), prefix};
}

bool CidrSet::contains(const ip::address& address) const {
  const auto a = canonical_address(address);
  return std::ranges::any_of(blocks_, [&a](const Cidr& block) { return block.contains(a); });
}

CidrSet parse_cidr_list(const std::vector<std::string>& entries, std::string_view flag) {
  std::vector<Cidr> blocks;
  for (const auto& entry : entries) {
    auto block = parse_cidr(entry);
    if (!block) {
      throw std::runtime_error(
          fmt::format("{} '{}': {}; use ADDRESS/PREFIX, e.g. 10.0.0.0/8 or 2001:db8::/32", flag,
                      entry, block.error().message));
    }
    blocks.push_back(*block);
  }
  return CidrSet(std::move(blocks));
}

}  // namespace relay::edge
