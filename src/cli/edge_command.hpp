#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/acme_flags.hpp"
#include "cli/cluster_flags.hpp"
#include "cli/public_limit_flags.hpp"
#include "relay/edge/edge_options.hpp"

namespace relay::cli {

// The flags of `relay edge`, as given. Kept apart from EdgeOptions so that `--config edge.yml`
// and `relay edge token ...` can reuse the same parsing and validation.
struct EdgeFlags {
  std::vector<std::string> listen;
  std::vector<std::string> listen_tls;
  std::string agent_listen = "0.0.0.0:4443";
  std::string domain = "localhost";
  std::string tls_cert;
  std::string tls_key;
  std::vector<std::string> authtokens;
  std::string authtokens_file;
  unsigned public_port = 0;
  long long resume_grace_seconds = 60;
  unsigned long long max_body_bytes = 0;
  bool allow_anonymous = false;
  // state (hardening item 3): "" → store::resolve_edge_state_dir's default
  std::string state_dir;
  // sessions: failed authtokens per client address
  long long auth_failures_per_minute = 10;
  long long auth_failure_block_seconds = 60;
  PublicLimitFlags public_limits;  // public-limits: per-IP caps, body rate, trusted proxies
  // durable delivery (accept): nullopt → edge.yml's limits.buffer_max_body, else 8 MiB
  std::optional<unsigned long long> buffer_max_body;
  // durable delivery: store: "2GiB"; "" or "0" no limit
  std::string store_max_size;
  AcmeFlags acme;              // operations: acme
  std::string metrics_listen;  // operations: Prometheus /metrics
  ClusterFlags cluster;        // cluster: redis (--cluster, --edge-id, --cluster-secret)
};

// durable delivery (accept): --buffer-max-body over `options` when given.
void apply_buffer_max_body_flag(const EdgeFlags& flags, edge::EdgeOptions& options);

void add_edge_flags(CLI::App& command, EdgeFlags& flags);

// Validates the flags and builds the options: tokens hashed at once, files checked. Throws
// CLI::ValidationError with a message that names the flag and says what to pass.
edge::EdgeOptions edge_options_from_flags(const EdgeFlags& flags);

// Reads an authtokens file: one token per line ("sha256:<hex>" for a stored hash), blank lines
// and '#' comments ignored. Throws CLI::ValidationError.
std::vector<edge::AuthToken> read_authtokens_file(const std::string& path);

// Runs an edge until SIGINT/SIGTERM, then drains for up to 10 s. Returns the exit code.
int run_edge(edge::EdgeOptions options);

}  // namespace relay::cli
