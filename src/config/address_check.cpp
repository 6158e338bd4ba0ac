#include "address_check.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "relay/agent/upstream_address.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::config::detail {

namespace {

bool valid_port(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty() && value >= 1 &&
         value <= 65535;
}

bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_';
  });
}

bool valid_ipv6(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isxdigit(c) != 0 || c == ':' || c == '.';
  });
}

// "host", "host:port", "[v6]", "[v6]:port"; `port_required` for listeners.
std::optional<std::string> check_authority(std::string_view text, bool port_required,
                                           std::string_view forms) {
  std::string_view host = text;
  std::string_view port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::string{forms} + " (unclosed '[')";
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::string{forms};
      port = rest.substr(1);
      has_port = true;
    }
    if (!valid_ipv6(host)) return std::string{forms} + " ('" + std::string{host} + "' is not IPv6)";
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos) {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
      has_port = true;
      if (host.find(':') != std::string_view::npos) {
        return std::string{forms} + " (write IPv6 addresses in brackets: [::1]:3000)";
      }
    }
    if (!(host.empty() && port_required) && !host.empty() && !valid_host(host)) {
      return std::string{forms} + " ('" + std::string{host} + "' is not a host name or address)";
    }
    if (host.empty() && !port_required) return std::string{forms} + " (the host is missing)";
  }
  if (port_required && !has_port) return std::string{forms} + " (the port is missing)";
  if (has_port && !valid_port(port)) {
    return std::string{forms} + " ('" + std::string{port} + "' is not a port from 1 to 65535)";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_upstream_address(std::string_view text) {
  auto address = agent::parse_upstream_address(text);
  if (address) return std::nullopt;
  return address.error().message;
}

std::optional<std::string> check_host_port(std::string_view text) {
  constexpr std::string_view kForms =
      "expected host:port (0.0.0.0:443, 127.0.0.1:4040, [::]:443) or :port";
  if (text.empty()) return std::string{kForms} + ", got nothing";
  return check_authority(text, true, kForms);
}

std::optional<std::string> check_tunnel_url(std::string_view text) {
  std::string_view name = text;
  if (const auto sep = name.find("://"); sep != std::string_view::npos) {
    const auto scheme = name.substr(0, sep);
    if (scheme != "http" && scheme != "https") {
      return "expected a name (web) or a URL (https://web.relay.example.com); the scheme '" +
             std::string{scheme} + "' is not http or https";
    }
    name.remove_prefix(sep + 3);
    name = name.substr(0, std::min(name.find('/'), name.find(':')));
    name = name.substr(0, name.find('.'));
  }
  if (net::protocol::is_valid_tunnel_name(name)) return std::nullopt;
  return "expected a tunnel name of lower-case letters, digits and '-' (at most 63), or a URL "
         "whose first label is one (https://web.relay.example.com); '" +
         std::string{name} + "' is not";
}

}  // namespace relay::config::detail
