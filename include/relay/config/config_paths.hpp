#pragma once

#include <string>
#include <vector>

namespace relay::config {

// $XDG_CONFIG_HOME/relay/relay.yml, else ~/.config/relay/relay.yml.
std::string default_agent_config_path();

// The agent config files to read: the --config flags if any, else $RELAY_CONFIG (several paths
// separated by ':'), else the default path.
std::vector<std::string> agent_config_paths(const std::vector<std::string>& flags);

// The files `relay start` reads: agent_config_paths, less a default file that does not exist,
// which reads as an empty config as it does for ngrok (client libraries such as npm's `ngrok`
// run `start --none` on machines without one). A missing file named by --config or
// $RELAY_CONFIG stays an error: that is a typo.
std::vector<std::string> agent_config_paths_to_read(const std::vector<std::string>& flags);

// The edge config file: the flag, else $RELAY_EDGE_CONFIG, else /etc/relay/edge.yml.
std::string edge_config_path(const std::string& flag);

}  // namespace relay::config
