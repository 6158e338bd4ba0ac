#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "relay/edge/edge_options.hpp"

namespace relay::cli {

// cluster: redis (docs/cluster.md). The `relay edge` flags that join an edge to a cluster.
// Unset flags leave the value from edge.yml (its `cluster:` map) alone.
struct ClusterFlags {
  std::optional<std::string> redis_url;  // --cluster redis://[:PASSWORD@]HOST:PORT/DB
  std::optional<std::string> edge_id;    // --edge-id
  std::optional<std::string> secret;     // --cluster-secret env:NAME|file:PATH
  // cluster: peer link
  std::optional<std::string> peer_listen;     // --peer-listen HOST:PORT
  std::optional<std::string> peer_advertise;  // --peer-advertise HOST:PORT
};

void add_cluster_flags(CLI::App& command, ClusterFlags& flags);

// Applies the flags over `options.cluster` (which holds edge.yml's values as written), then
// checks the whole: a valid URL, a secret when clustered, an edge id (default: the hostname);
// and resolves the password and the secret (env:/file:). Throws CLI::ValidationError.
void apply_cluster_flags(const ClusterFlags& flags, edge::EdgeOptions& options);

}  // namespace relay::cli
