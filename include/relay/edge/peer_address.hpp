#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "relay/core/failure.hpp"

namespace relay::edge::peer {

// cluster: peer link. "host:port" or "[v6]:port", as --peer-listen, --peer-advertise and the
// `peer` field of relay:edge:<edge-id> in Redis hold it.
struct PeerAddress {
  std::string host;  // without brackets
  unsigned short port = 0;
  [[nodiscard]] std::string to_string() const;  // brackets around an IPv6 literal
  [[nodiscard]] bool is_unspecified() const;    // 0.0.0.0 or :: (a listen-only address)
};

// The address, or the Failure saying (for a user) that `text` is not host:port with a port
// 1-65535.
core::Fallible<PeerAddress> parse_peer_address(std::string_view text);

// What other edges dial: --peer-advertise when given, else the listen address unless it is
// unspecified (then a Failure asking for --peer-advertise).
core::Fallible<PeerAddress> advertised_address(std::string_view listen, std::string_view advertise);

}  // namespace relay::edge::peer

namespace relay::edge::peer {

// The client address in a forwarded stream's relay-remote-addr ("ip:port", "[v6]:port", or
// "ip" from a trusted proxy's chain) as an IP; nullopt when it is none of these.
std::optional<std::string> remote_addr_ip(std::string_view value);

}  // namespace relay::edge::peer
