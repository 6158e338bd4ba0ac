#include "inspect/host_guard.hpp"

#include <algorithm>
#include <charconv>

#include <boost/asio/ip/address.hpp>

#include "relay/core/headers.hpp"

namespace relay::inspect::detail {

std::string host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return {};
    const auto rest = host.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return {};
    return std::string{host.substr(1, close - 1)};
  }
  const auto colon = host.find(':');
  if (colon != std::string_view::npos) {
    if (host.find(':', colon + 1) != std::string_view::npos) return {};  // bare IPv6: invalid Host
    const auto port = host.substr(colon + 1);
    if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return {};
    }
    host = host.substr(0, colon);
  }
  return std::string{host};
}

bool is_allowed_host(std::string_view host_header, std::string_view bind_host) {
  const auto host = core::to_lower(host_without_port(host_header));
  if (host.empty()) return false;
  if (host == "localhost" || host == "localhost.") return true;
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(host, ec);
  if (!ec && addr.is_loopback()) return true;
  if (!bind_host.empty() && bind_host != "0.0.0.0" && bind_host != "::") {
    return host == core::to_lower(host_without_port(bind_host));
  }
  return false;
}

bool is_allowed_origin(std::string_view origin, std::string_view bind_host, unsigned short port) {
  constexpr std::string_view kScheme = "http://";
  if (!origin.starts_with(kScheme)) return false;
  origin.remove_prefix(kScheme.size());
  if (origin.ends_with('/')) origin.remove_suffix(1);
  if (!is_allowed_host(origin, bind_host)) return false;
  if (port == 0) return true;
  // The port after the host ("[::1]:4040", "localhost:4040"); none means http's 80.
  const auto bracket = origin.rfind(']');
  const auto colon = origin.rfind(':');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket)) {
    return port == 80;
  }
  const auto text = origin.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size() && value == port;
}

}  // namespace relay::inspect::detail
