#include "cli/edge_state_dir_flags.hpp"

#include <iostream>

#include "cli/cluster_redis.hpp"
#include "relay/config/edge_config.hpp"
#include "relay/store/state_dir.hpp"

namespace relay::cli {

void add_edge_state_dir_flags(CLI::App& cmd, EdgeStateDirFlags& flags) {
  cmd.add_option("--state-dir", flags.state_dir,
                 "The edge's --state-dir (default: state_dir of --config, else the edge's "
                 "default)");
  cmd.add_option("--config", flags.config,
                 "Edge config file whose state_dir (or cluster.redis) to use");
  cmd.add_option("--cluster", flags.cluster, kClusterStateHelp);  // cluster: operator commands
}

std::string resolve_edge_cluster_url(const EdgeStateDirFlags& flags) {
  if (!flags.cluster && !flags.state_dir.empty()) return "";
  return cluster_redis_url(flags.cluster, flags.config);
}

std::optional<std::string> resolve_edge_state_dir(const EdgeStateDirFlags& flags) {
  if (!flags.state_dir.empty()) return flags.state_dir;
  std::string configured;
  if (!flags.config.empty()) {
    auto load = config::load_edge_config({flags.config});
    for (const auto& d : load.diagnostics.all()) std::cerr << d.to_string() << '\n';
    if (!load.ok()) return std::nullopt;
    configured = load.options.state_dir;
  }
  return store::resolve_edge_state_dir(configured).path;
}

}  // namespace relay::cli
