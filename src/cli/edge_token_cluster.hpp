#pragma once

#include <string>
#include <vector>

namespace relay::cli {

// cluster: tokens (docs/cluster.md "Authtokens in Redis"). `relay edge token add|list|revoke`
// against the cluster's Redis (`relay:tokens`: SHA-256 → {label, reserved}) instead of edge.yml.

// Each returns the exit code: 0, 1 (Redis unreachable or refused), 2 (a bad URL).
int add_cluster_token(const std::string& url, const std::string& label,
                      const std::vector<std::string>& reserve);
int list_cluster_tokens(const std::string& url);
int revoke_cluster_token(const std::string& url, const std::string& label);

}  // namespace relay::cli
