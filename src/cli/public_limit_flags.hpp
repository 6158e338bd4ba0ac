#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "relay/edge/edge_options.hpp"

namespace relay::cli {

// The `relay edge` flags for the public-limits defences (docs/security.md).
// Unset flags leave the value from edge.yml, or the default, alone.
struct PublicLimitFlags {
  std::vector<std::string> trusted_proxies;
  std::optional<std::size_t> body_min_rate;
  std::optional<long long> body_rate_grace;
  std::optional<std::size_t> max_connections_per_ip;
  std::optional<std::size_t> max_requests_per_ip;
  std::optional<std::size_t> max_streams_per_session;
  std::optional<long long> stream_wait;
  std::optional<long long> handshake_timeout;
  std::optional<std::size_t> max_pending_handshakes;
  std::optional<std::size_t> max_pending_handshakes_per_ip;
};

void add_public_limit_flags(CLI::App& command, PublicLimitFlags& flags);

// Applies the given flags over `options`; throws CLI::ValidationError naming a bad flag.
void apply_public_limit_flags(const PublicLimitFlags& flags, edge::EdgeOptions& options);

}  // namespace relay::cli
