#include "cli/ip_rule_flags.hpp"

#include "relay/edge/cidr.hpp"

namespace relay::cli {

namespace {

std::vector<std::string> checked(const std::vector<std::string>& values, const char* flag) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    std::string_view rest = value;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view entry = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
      while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
      if (entry.empty()) continue;
      if (auto block = edge::parse_cidr(entry); !block) {
        throw CLI::ValidationError(flag, "'" + std::string(entry) + "': " + block.error().message +
                                             "; use ADDRESS/PREFIX, e.g. 203.0.113.0/24 or "
                                             "2001:db8::/32, or one address");
      }
      out.emplace_back(entry);
    }
  }
  return out;
}

}  // namespace

void add_ip_rule_flags(CLI::App& cmd, IpRuleFlags& f) {
  cmd.add_option("--cidr-allow", f.allow,
                 "Only these client addresses may call the tunnel (CIDR or address; repeatable "
                 "or comma-separated); others get 403 at the edge");
  cmd.add_option("--cidr-deny", f.deny,
                 "These client addresses may not call the tunnel (CIDR or address; repeatable "
                 "or comma-separated); deny wins over --cidr-allow");
}

void apply_ip_rule_flags(const IpRuleFlags& f, agent::TunnelOptions& tunnel) {
  tunnel.ip_allow = checked(f.allow, "--cidr-allow");
  tunnel.ip_deny = checked(f.deny, "--cidr-deny");
}

}  // namespace relay::cli
