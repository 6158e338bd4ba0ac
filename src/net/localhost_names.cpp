#include "relay/net/localhost_names.hpp"

#include <charconv>

#include "relay/core/headers.hpp"

namespace relay::net {

namespace asio = boost::asio;
using asio::ip::tcp;

bool is_localhost_name(std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);  // the absolute form, "localhost."
  constexpr std::string_view kName = "localhost";
  if (host.size() < kName.size()) return false;
  const auto tail = host.substr(host.size() - kName.size());
  if (!core::iequals(tail, kName)) return false;
  return host.size() == kName.size() || host[host.size() - kName.size() - 1] == '.';
}

std::vector<tcp::endpoint> loopback_endpoints(unsigned short port) {
  return {tcp::endpoint(asio::ip::address_v6::loopback(), port),
          tcp::endpoint(asio::ip::address_v4::loopback(), port)};
}

std::vector<tcp::endpoint> resolve_blocking(tcp::resolver& resolver, const std::string& host,
                                            const std::string& port) {
  unsigned short number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (is_localhost_name(host) && ec == std::errc{} && end == port.data() + port.size()) {
    return loopback_endpoints(number);
  }
  std::vector<tcp::endpoint> out;
  for (const auto& entry : resolver.resolve(host, port)) out.push_back(entry.endpoint());
  return out;
}

}  // namespace relay::net
