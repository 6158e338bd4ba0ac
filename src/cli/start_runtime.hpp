#pragma once

#include <string>
#include <vector>

#include "relay/agent/agent_options.hpp"
#include "relay/config/agent_config.hpp"

namespace relay::cli {

// What `relay start` re-reads on SIGHUP.
struct StartRequest {
  std::vector<std::string> paths;
  config::TunnelSelection selection;
  // edge and authtoken as the config had them at start (before flags): a reload that changes
  // them says a restart is needed.
  std::vector<std::string> config_edges;
  std::size_t config_ha_connections = 0;
  std::string config_authtoken;
};

// Runs the agent until SIGINT/SIGTERM (a second one stops at once). SIGHUP re-reads the config
// files: tunnels added, removed or changed are bound/unbound without touching the others; a
// config with problems is logged and the running tunnels are kept. Under systemd, sends READY=1
// once the session is online, STOPPING=1, and WATCHDOG=1 when WatchdogSec= is set.
int run_agent_with_reload(agent::AgentOptions options, StartRequest request);

}  // namespace relay::cli
