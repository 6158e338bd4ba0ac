#include "relay/agent/upstream_address.hpp"

#include <algorithm>
#include <charconv>

namespace relay::agent {

namespace {

constexpr std::string_view kExamples = "(examples: 3000, localhost:3000, https://localhost:8443)";

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

core::Fallible<std::uint16_t> parse_port(std::string_view text, std::string_view whole) {
  if (!all_digits(text)) {
    return core::Failure{.message = "invalid port '" + std::string(text) + "' in upstream '" +
                                    std::string(whole) + "': a port is a number from 1 to 65535 " +
                                    std::string(kExamples)};
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || value == 0 || value > 65535) {
    return core::Failure{.message = "port " + std::string(text) + " in upstream '" +
                                    std::string(whole) +
                                    "' is out of range: use a port from 1 to 65535"};
  }
  return static_cast<std::uint16_t>(value);
}

bool valid_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

}  // namespace

std::string UpstreamAddress::host_port() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string UpstreamAddress::url() const { return std::string(scheme()) + "://" + host_port(); }

core::Fallible<UpstreamAddress> parse_upstream_address(std::string_view text) {
  const std::string_view whole = text;
  if (text.empty()) {
    return core::Failure{
        .message = "the upstream address is empty: give the port or address of your app " +
                   std::string(kExamples)};
  }
  UpstreamAddress out;
  bool has_scheme = false;
  if (auto sep = text.find("://"); sep != std::string_view::npos) {
    auto scheme = text.substr(0, sep);
    if (scheme == "http" || scheme == "HTTP") {
      out.tls = false;
    } else if (scheme == "https" || scheme == "HTTPS") {
      out.tls = true;
    } else {
      return core::Failure{.message = "unsupported scheme '" + std::string(scheme) +
                                      "' in upstream '" + std::string(whole) +
                                      "': use http:// or https://"};
    }
    has_scheme = true;
    text.remove_prefix(sep + 3);
    // A bare trailing slash is harmless; a path prefix is not supported yet.
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
      if (text.substr(slash) != "/") {
        return core::Failure{
            .message = "upstream '" + std::string(whole) +
                       "' has a path; relay forwards the request path as it came, so give only "
                       "scheme://host:port"};
      }
      text = text.substr(0, slash);
    }
  }
  if (text.empty()) {
    return core::Failure{.message = "upstream '" + std::string(whole) + "' has no host " +
                                    std::string(kExamples)};
  }
  if (!has_scheme && all_digits(text)) {  // `3000`
    out.host = "localhost";
    auto port = parse_port(text, whole);
    if (!port) return port.error();
    out.port = *port;
    return out;
  }

  std::string_view host;
  std::string_view port;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      return core::Failure{.message = "upstream '" + std::string(whole) +
                                      "' has an unclosed '[': write IPv6 as [::1]:3000"};
    }
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return core::Failure{.message = "unexpected '" + std::string(rest) +
                                        "' after ']' in upstream '" + std::string(whole) +
                                        "': write IPv6 as [::1]:3000"};
      }
      port = rest.substr(1);
      if (port.empty()) {
        return core::Failure{.message = "upstream '" + std::string(whole) +
                                        "' ends with ':' but has no port"};
      }
    }
    if (host.empty() ||
        host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
      return core::Failure{.message = "'" + std::string(host) + "' in upstream '" +
                                      std::string(whole) + "' is not an IPv6 address"};
    }
  } else {
    auto colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      return core::Failure{
          .message = "upstream '" + std::string(whole) +
                     "' looks like an IPv6 address: put it in brackets, as in [::1]:3000"};
    }
    host = text.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) {
        return core::Failure{.message = "upstream '" + std::string(whole) +
                                        "' ends with ':' but has no port"};
      }
    }
    if (host.empty()) {
      return core::Failure{.message = "upstream '" + std::string(whole) + "' has no host " +
                                      std::string(kExamples)};
    }
    if (!std::all_of(host.begin(), host.end(), valid_host_char)) {
      return core::Failure{.message = "'" + std::string(host) + "' in upstream '" +
                                      std::string(whole) + "' is not a valid host name " +
                                      std::string(kExamples)};
    }
  }
  out.host = std::string(host);
  if (port.empty()) {
    out.port = out.tls ? 443 : 80;
  } else {
    auto number = parse_port(port, whole);
    if (!number) return number.error();
    out.port = *number;
  }
  return out;
}

}  // namespace relay::agent
