#include "edge/ip_rules.hpp"

namespace relay::edge {

namespace {

bool parse_list(const std::vector<std::string>& entries, std::string_view key, CidrSet& out,
                std::string& error) {
  std::vector<Cidr> blocks;
  blocks.reserve(entries.size());
  for (const auto& entry : entries) {
    std::string why;
    auto block = parse_cidr(entry, why);
    if (!block) {
      error = std::string(key) + " '" + entry + "': " + why +
              "; use ADDRESS/PREFIX, e.g. 203.0.113.0/24 or 2001:db8::/32, or one address";
      return false;
    }
    blocks.push_back(*block);
  }
  out = CidrSet(std::move(blocks));
  return true;
}

}  // namespace

std::optional<IpRules> parse_ip_rules(const std::vector<std::string>& allow,
                                      const std::vector<std::string>& deny, std::string& error) {
  IpRules rules;
  if (!parse_list(allow, "ip_allow", rules.allow, error) ||
      !parse_list(deny, "ip_deny", rules.deny, error)) {
    return std::nullopt;
  }
  return rules;
}

std::optional<std::string> parse_tunnel_ip_rules(
    const std::vector<net::protocol::TunnelRequest>& tunnels, std::vector<IpRules>& out) {
  out.clear();
  for (const auto& t : tunnels) {
    std::string error;
    auto rules = parse_ip_rules(t.ip_allow, t.ip_deny, error);
    if (!rules) return error;
    out.push_back(std::move(*rules));
  }
  return std::nullopt;
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
