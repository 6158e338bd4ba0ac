#pragma once

#include <string_view>

namespace relay::core {

// "host:port" without its port, for routing by Host: "a.b:80" → "a.b", "[::1]:80" → "[::1]"
// (brackets kept: it is still a Host value). A bare IPv6 literal ("::1") has no port.
std::string_view host_without_port(std::string_view host_port);

// The address of "address:port", for X-Forwarded-For and captures, which carry addresses
// without ports: "203.0.113.9:5123" → "203.0.113.9", "[2001:db8::1]:5123" → "2001:db8::1".
std::string_view address_without_port(std::string_view address_port);

}  // namespace relay::core
