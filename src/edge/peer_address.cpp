#include "relay/edge/peer_address.hpp"

#include <algorithm>
#include <charconv>

namespace relay::edge::peer {

std::string PeerAddress::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool PeerAddress::is_unspecified() const {
  return host == "0.0.0.0" || host == "::" || host == "0:0:0:0:0:0:0:0";
}

core::Fallible<PeerAddress> parse_peer_address(std::string_view text) {
  const std::string shown(text.substr(0, 100));
  auto fail = [&](const std::string& why) -> core::Fallible<PeerAddress> {
    return core::Failure{.message = "'" + shown + "' is not a peer address (" + why +
                                    "); expected HOST:PORT or [IPv6]:PORT"};
  };
  if (text.empty() || text.size() > 255) return fail("empty or too long");
  std::string_view host;
  std::string_view port;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail("an IPv6 literal needs ]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos) return fail("brackets are for IPv6 only");
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("no port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return fail("put an IPv6 literal in brackets");
  }
  if (host.empty()) return fail("no host");
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '_';
    if (!ok) return fail("bad character in the host");
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return fail("the port must be 1-65535");
  }
  return PeerAddress{std::string(host), static_cast<unsigned short>(value)};
}

core::Fallible<PeerAddress> advertised_address(std::string_view listen,
                                               std::string_view advertise) {
  auto listening = parse_peer_address(listen);
  if (!listening) return core::Failure{.message = "--peer-listen: " + listening.error().message};
  if (!advertise.empty()) {
    auto shown = parse_peer_address(advertise);
    if (!shown) return core::Failure{.message = "--peer-advertise: " + shown.error().message};
    if (shown->is_unspecified()) {
      return core::Failure{.message = "--peer-advertise: " + shown->to_string() +
                                      " cannot be dialed; give the address other edges reach "
                                      "this one at"};
    }
    return shown;
  }
  if (listening->is_unspecified()) {
    return core::Failure{.message = "--peer-listen " + listening->to_string() +
                                    " listens on every address, so other edges cannot be told "
                                    "which one to dial; add --peer-advertise HOST:PORT"};
  }
  return listening;
}

}  // namespace relay::edge::peer

namespace relay::edge::peer {

std::optional<std::string> remote_addr_ip(std::string_view value) {
  if (value.empty() || value.size() > 100) return std::nullopt;
  if (value.front() == '[') {
    auto close = value.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return std::string(value.substr(1, close - 1));
  }
  const auto colons = std::count(value.begin(), value.end(), ':');
  if (colons == 1) return std::string(value.substr(0, value.find(':')));  // IPv4:port
  return std::string(value);  // a bare IPv4 or IPv6 address
}

}  // namespace relay::edge::peer
