#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace relay::cli {

// --state-dir, --config and --cluster of the operator commands that read a running edge's state
// (`relay edge names`, `relay edge queue`): its state database, or the cluster's Redis.
struct EdgeStateDirFlags {
  std::string state_dir;
  std::string config;
  std::optional<std::string> cluster;  // cluster: --cluster redis://...
};

void add_edge_state_dir_flags(CLI::App& cmd, EdgeStateDirFlags& flags);

// The cluster's Redis URL when the state is there: --cluster, else (without --state-dir) the
// config file's cluster.redis; "" for the edge's state database.
std::string resolve_edge_cluster_url(const EdgeStateDirFlags& flags);

// --state-dir, else the state_dir of --config, else the edge's default. nullopt: the config
// file did not load (its diagnostics are printed to stderr).
std::optional<std::string> resolve_edge_state_dir(const EdgeStateDirFlags& flags);

}  // namespace relay::cli
