#include "edge/ip_rules.hpp"

namespace relay::edge {

namespace {

core::Fallible<CidrSet> parse_list(const std::vector<std::string>& entries, std::string_view key) {
  std::vector<Cidr> blocks;
  blocks.reserve(entries.size());
  for (const auto& entry : entries) {
    auto block = parse_cidr(entry);
    if (!block) {
      return core::Failure{
          .message = std::string(key) + " '" + entry + "': " + block.error().message +
                     "; use ADDRESS/PREFIX, e.g. 203.0.113.0/24 or 2001:db8::/32, or one address"};
    }
    blocks.push_back(*block);
  }
  return CidrSet(std::move(blocks));
}

}  // namespace

core::Fallible<IpRules> parse_ip_rules(const std::vector<std::string>& allow,
                                       const std::vector<std::string>& deny) {
  auto allowed = parse_list(allow, "ip_allow");
  if (!allowed) return allowed.error();
  auto denied = parse_list(deny, "ip_deny");
  if (!denied) return denied.error();
  return IpRules{.allow = std::move(*allowed), .deny = std::move(*denied)};
}

core::Fallible<std::vector<IpRules>> parse_tunnel_ip_rules(
    const std::vector<net::protocol::TunnelRequest>& tunnels) {
  std::vector<IpRules> out;
  out.reserve(tunnels.size());
  for (const auto& t : tunnels) {
    auto rules = parse_ip_rules(t.ip_allow, t.ip_deny);
    if (!rules) return rules.error();
    out.push_back(std::move(*rules));
  }
  return out;
}

void TunnelIpRules::set(const std::string& name, IpRules rules) {
  if (rules.empty()) {
    rules_.erase(name);
  } else {
    rules_.insert_or_assign(name, std::move(rules));
  }
}

const IpRules* TunnelIpRules::find(const std::string& name) const {
  if (rules_.empty()) return nullptr;
  auto it = rules_.find(name);
  return it == rules_.end() ? nullptr : &it->second;
}

}  // namespace relay::edge
