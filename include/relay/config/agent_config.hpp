#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "relay/agent/agent_options.hpp"
#include "relay/config/config_source.hpp"
#include "relay/config/diagnostic.hpp"
#include "relay/core/buffer_policy.hpp"

namespace relay::config {

// verify_webhook of a tunnel, as written: the secret is still a spec (literal, env:, file:).
struct VerifyWebhookConfig {
  std::string provider;
  std::string secret;
  SourceLocation secret_at;
  std::optional<std::chrono::seconds> tolerance;
  bool enforce = true;
  std::map<std::string, std::string> params;  // hmac's header/algorithm/..., Meta's verify_token
  SourceLocation params_at;                   // the params map, or the provider when absent
};

struct TunnelConfig {
  std::string name;
  SourceLocation at;  // where the tunnel's name is written (last file that set it)
  std::string proto = "http";
  std::string addr;
  std::string url;
  std::string host_header;
  std::optional<VerifyWebhookConfig> verify_webhook;
  std::optional<agent::BasicAuth> basic_auth;
  std::vector<std::pair<std::string, std::string>> request_header_add;
  std::vector<std::string> request_header_remove;
  // Durable delivery (buffer, buffer_ttl, ...): unset when `buffer` is absent or off.
  std::optional<core::BufferPolicy> buffer;
  bool buffer_resign = false;
  SourceLocation buffer_resign_at;
  // IP rules, enforced at the edge: CIDR blocks or addresses (ip_allow, ip_deny).
  std::vector<std::string> ip_allow;
  std::vector<std::string> ip_deny;
};

// The agent config file(s), merged and validated. Unset optionals keep AgentOptions' defaults.
struct AgentConfig {
  std::vector<std::string> files;  // in load order
  std::string authtoken;           // a secret spec: the value, env:NAME or file:PATH
  SourceLocation authtoken_at;
  std::string edge;
  // High availability: `edges:` (exclusive with `edge:`) and `ha_connections:` (1..8).
  std::vector<std::string> edges;
  std::optional<int> ha_connections;
  std::string edge_ca;
  std::optional<bool> edge_insecure;
  std::optional<std::string> inspect_addr;  // "" when `inspect_addr: false`
  // `upstream_timeout:`, for every tunnel (config::parse_upstream_timeout); the flag wins.
  std::optional<std::chrono::seconds> upstream_timeout;
  std::string log;
  std::string log_level;
  std::string log_format;
  std::string state_dir;
  std::vector<TunnelConfig> tunnels;  // in the order first written

  [[nodiscard]] const TunnelConfig* find(std::string_view name) const;
};

// How provider names are checked; unset: not checked. Returns nullopt for a known provider,
// else the message for the user (which names exist).
using ProviderCheck = std::function<std::optional<std::string>(std::string_view provider)>;

// The built-in verification providers (verify::builtin_registry()).
ProviderCheck builtin_provider_check();

struct AgentConfigLoad {
  AgentConfig config;
  Diagnostics diagnostics;
  [[nodiscard]] bool ok() const { return !diagnostics.has_errors(); }
};

// Parses and validates `sources` (later ones override earlier ones key by key; tunnels merge by
// name). Every problem is collected; the config holds whatever was valid.
AgentConfigLoad parse_agent_config(const std::vector<std::shared_ptr<const ConfigSource>>& sources,
                                   const ProviderCheck& providers = {});
// Same for files on disk (unreadable files are diagnostics too).
AgentConfigLoad load_agent_config(const std::vector<std::string>& paths,
                                  const ProviderCheck& providers = {});

// Which tunnels `relay start` runs.
struct TunnelSelection {
  std::vector<std::string> names;
  bool all = false;  // every tunnel of the config; neither: no tunnel (--none)
};

// The agent's options for the selected tunnels, with secrets resolved (env:/file:). Problems
// (unknown tunnel name, missing env variable or file) go to `diagnostics`.
agent::AgentOptions to_agent_options(const AgentConfig& config, const TunnelSelection& selection,
                                     Diagnostics& diagnostics);
// One tunnel, secrets resolved; nullopt with a diagnostic when a secret cannot be read.
std::optional<agent::TunnelOptions> to_tunnel_options(const TunnelConfig& tunnel,
                                                      Diagnostics& diagnostics);

}  // namespace relay::config
