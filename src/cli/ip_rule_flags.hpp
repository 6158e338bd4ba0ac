#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "relay/agent/agent_options.hpp"

namespace relay::cli {

// `relay http --cidr-allow CIDR --cidr-deny CIDR` (ngrok's flags): repeatable, and each may hold
// a comma-separated list.
struct IpRuleFlags {
  std::vector<std::string> allow;
  std::vector<std::string> deny;
};

void add_ip_rule_flags(CLI::App& command, IpRuleFlags& flags);

// Sets tunnel.ip_allow / ip_deny; throws CLI::ValidationError naming the flag and the entry
// that is not a CIDR block or an address.
void apply_ip_rule_flags(const IpRuleFlags& flags, agent::TunnelOptions& tunnel);

}  // namespace relay::cli
