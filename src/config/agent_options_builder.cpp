// AgentConfig → AgentOptions: the selection of tunnels and the resolution of secrets, the only
// step that reads the environment and other files.
#include <algorithm>

#include "relay/config/agent_config.hpp"
#include "relay/config/buffer_settings.hpp"
#include "relay/verify/registry.hpp"
#include "relay/verify/secret.hpp"

namespace relay::config {

namespace {

std::string tunnel_names(const AgentConfig& config) {
  std::string out;
  for (const auto& tunnel : config.tunnels) {
    if (!out.empty()) out += ", ";
    out += tunnel.name;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::optional<agent::TunnelOptions> to_tunnel_options(const TunnelConfig& tunnel,
                                                      Diagnostics& diagnostics) {
  agent::TunnelOptions options;
  options.name = tunnel.name;
  options.proto = tunnel.proto;
  options.addr = tunnel.addr;
  options.url = tunnel.url;
  options.host_header = tunnel.host_header;
  options.basic_auth = tunnel.basic_auth;
  options.request_header_add = tunnel.request_header_add;
  options.request_header_remove = tunnel.request_header_remove;
  options.buffer = tunnel.buffer;
  options.buffer_resign = tunnel.buffer_resign;
  options.ip_allow = tunnel.ip_allow;
  options.ip_deny = tunnel.ip_deny;
  if (tunnel.verify_webhook) {
    const auto& verify = *tunnel.verify_webhook;
    auto secret = verify::resolve_secret(verify.secret);
    if (!secret) {
      diagnostics.error(verify.secret_at, "tunnels." + tunnel.name + ".verify_webhook.secret",
                        secret.error().message);
      return std::nullopt;
    }
    // The provider checks its own settings (hmac's header, algorithm...): its message, at the
    // params (or the provider) in the file.
    verify::VerifierOptions check;
    check.secret = *secret;
    check.tolerance = verify.tolerance;
    check.params = verify.params;
    if (auto created = verify::builtin_registry().create(verify.provider, check); !created) {
      diagnostics.error(verify.params_at, "tunnels." + tunnel.name + ".verify_webhook",
                        created.error().message);
      return std::nullopt;
    }
    options.verify_webhook = agent::WebhookVerification{
        verify.provider, std::move(*secret), verify.tolerance, verify.enforce, verify.params};
  }
  if (options.buffer_resign) {
    if (auto problem = resign_problem(options.verify_webhook); !problem.empty()) {
      diagnostics.error(tunnel.buffer_resign_at, "tunnels." + tunnel.name + ".buffer_resign",
                        problem);
      return std::nullopt;
    }
  }
  return options;
}

agent::AgentOptions to_agent_options(const AgentConfig& config, const TunnelSelection& selection,
                                     Diagnostics& diagnostics) {
  agent::AgentOptions options;
  if (!config.edge.empty()) options.edges = {config.edge};
  if (!config.edges.empty()) options.edges = config.edges;
  if (config.ha_connections) {
    options.ha_connections = static_cast<std::size_t>(*config.ha_connections);
  }
  if (!config.authtoken.empty()) {
    if (auto token = verify::resolve_secret(config.authtoken)) {
      options.authtoken = std::move(*token);
    } else {
      diagnostics.error(config.authtoken_at, "authtoken", token.error().message);
    }
  }
  options.edge_ca_file = config.edge_ca;
  if (config.edge_insecure) options.edge_insecure = *config.edge_insecure;
  if (config.inspect_addr) options.inspect_addr = *config.inspect_addr;
  if (config.upstream_timeout) options.limits.upstream_response_timeout = *config.upstream_timeout;
  options.state_dir = config.state_dir;

  const std::string file = config.files.empty() ? std::string{"config"} : config.files.back();
  std::vector<const TunnelConfig*> chosen;
  if (selection.all) {
    for (const auto& tunnel : config.tunnels) chosen.push_back(&tunnel);
  }
  for (const auto& name : selection.names) {
    const TunnelConfig* tunnel = config.find(name);
    if (tunnel == nullptr) {
      diagnostics.error({file, 0, 0}, "tunnels." + name,
                        "no tunnel named '" + name + "' in the config (tunnels: " +
                            tunnel_names(config) + "); add it under tunnels: or check the name");
      continue;
    }
    if (std::find(chosen.begin(), chosen.end(), tunnel) == chosen.end()) chosen.push_back(tunnel);
  }
  for (const auto* tunnel : chosen) {
    if (auto tunnel_options = to_tunnel_options(*tunnel, diagnostics)) {
      options.tunnels.push_back(std::move(*tunnel_options));
    }
  }
  return options;
}

}  // namespace relay::config
