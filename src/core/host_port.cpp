#include "relay/core/host_port.hpp"

namespace relay::core {

namespace {

// A colon that separates a port: the only one (several are a bare IPv6 literal).
std::string_view before_port_colon(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || text.find(':') != colon) return text;
  return text.substr(0, colon);
}

}  // namespace

std::string_view host_without_port(std::string_view host_port) {
  if (!host_port.empty() && host_port.front() == '[') {
    const auto close = host_port.find(']');
    return close == std::string_view::npos ? host_port : host_port.substr(0, close + 1);
  }
  return before_port_colon(host_port);
}

std::string_view address_without_port(std::string_view address_port) {
  if (!address_port.empty() && address_port.front() == '[') {
    const auto close = address_port.find(']');
    return close == std::string_view::npos ? address_port.substr(1)
                                           : address_port.substr(1, close - 1);
  }
  return before_port_colon(address_port);
}

}  // namespace relay::core
