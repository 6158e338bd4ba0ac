#include "edge/host_router.hpp"

#include "relay/core/headers.hpp"
#include "relay/core/host_port.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {

HostRouter::HostRouter(std::string_view domain) : domain_(core::to_lower(domain)) {
  while (!domain_.empty() && domain_.back() == '.') domain_.pop_back();
}

std::optional<std::string> HostRouter::route(std::string_view host) const {
  host = core::host_without_port(host);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  // <name> '.' <domain>: exactly one label in front of the domain.
  if (host.size() < domain_.size() + 2) return std::nullopt;
  auto suffix = host.substr(host.size() - domain_.size());
  if (!core::iequals(suffix, domain_) || host[host.size() - domain_.size() - 1] != '.') {
    return std::nullopt;
  }
  std::string name = core::to_lower(host.substr(0, host.size() - domain_.size() - 1));
  if (!net::protocol::is_valid_tunnel_name(name)) return std::nullopt;
  return name;
}

}  // namespace relay::edge

namespace relay::edge {

std::string make_public_url(std::string_view scheme, std::string_view domain, unsigned short port,
                            std::string_view name) {
  std::string url = std::string(scheme) + "://" + std::string(name) + "." + std::string(domain);
  bool default_port =
      port == 0 || (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  if (!default_port) url += ":" + std::to_string(port);
  return url;
}

}  // namespace relay::edge
