#pragma once

#include <string>
#include <vector>

#include "relay/agent/agent_options.hpp"

namespace relay::cli {

// What a config reload (SIGHUP) changes: tunnels to unbind, then tunnels to bind. A changed
// tunnel is both (the agent has no in-place update); the others are not touched, so their
// requests in flight keep going.
struct TunnelReloadPlan {
  std::vector<std::string> remove;
  std::vector<agent::TunnelOptions> add;
  std::vector<std::string> changed;  // names in both lists, for the log
  [[nodiscard]] bool empty() const { return remove.empty() && add.empty(); }
};

bool same_tunnel(const agent::TunnelOptions& a, const agent::TunnelOptions& b);

TunnelReloadPlan plan_tunnel_reload(const std::vector<agent::TunnelOptions>& running,
                                    const std::vector<agent::TunnelOptions>& wanted);

}  // namespace relay::cli
