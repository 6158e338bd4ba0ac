#include "cli/edge_config_flags.hpp"

#include <iostream>

#include "relay/config/edge_config.hpp"

namespace relay::cli {

std::shared_ptr<EdgeConfigFlag> add_edge_config_flag(CLI::App& edge_command) {
  auto flag = std::make_shared<EdgeConfigFlag>();
  edge_command.add_option("--config", flag->files,
                          "Edge config file (edge.yml; repeatable, later files override earlier "
                          "ones). Flags override its keys");
  return flag;
}

std::optional<edge::EdgeOptions> edge_options_for(const CLI::App& cmd, const EdgeFlags& flags,
                                                  const EdgeConfigFlag& config, CliContext& ctx) {
  if (config.files.empty()) return edge_options_from_flags(flags);
  auto load = config::load_edge_config(config.files);
  for (const auto& d : load.diagnostics.all()) std::cerr << d.to_string() << '\n';
  if (!load.ok()) {
    std::cerr << "relay edge: the config has problems (above); fix them and check with "
                 "`relay config check --edge "
              << config.files.back() << "`\n";
    return std::nullopt;
  }
  const CLI::App* root = cmd.get_parent();
  auto given = [&cmd](const char* name) { return cmd.get_option(name)->count() > 0; };
  auto root_given = [root](const char* name) {
    return root != nullptr && root->get_option(name)->count() > 0;
  };
  // The config's log settings apply unless the matching global flag was given.
  if (!load.log.empty() && !root_given("--log")) ctx.log_target = load.log;
  if (!load.log_level.empty() && !root_given("--log-level")) ctx.log_level = load.log_level;
  if (!load.log_format.empty() && !root_given("--log-format")) ctx.log_format = load.log_format;
  ctx.apply_logging();

  // Build merged flags and let the flag path do its checks (files readable, cert present).
  const edge::EdgeOptions& file = load.options;
  EdgeFlags merged = flags;
  if (!given("--listen")) merged.listen = file.listen;
  if (!given("--listen-tls")) merged.listen_tls = file.listen_tls;
  if (!given("--agent-listen")) merged.agent_listen = file.agent_listen;
  if (!given("--domain")) merged.domain = file.domain;
  if (!given("--tls-cert")) merged.tls_cert = file.tls_cert_file;
  if (!given("--tls-key")) merged.tls_key = file.tls_key_file;
  if (!given("--public-port")) merged.public_port = file.public_port;
  if (!given("--resume-grace")) merged.resume_grace_seconds = file.resume_grace.count();
  if (!given("--max-body-bytes")) merged.max_body_bytes = file.limits.max_body_bytes;
  if (!given("--state-dir")) merged.state_dir = file.state_dir;  // state (hardening item 3)
  if (!given("--store-max-size") && file.store_max_bytes > 0) {  // durable delivery: store
    merged.store_max_size = std::to_string(file.store_max_bytes);
  }
  if (!given("--metrics-listen")) merged.metrics_listen = file.metrics_listen;  // operations
  // cluster: redis: edge.yml's cluster map under the flags (resolved with them)
  if (!merged.cluster.redis_url && file.cluster.enabled()) {
    merged.cluster.redis_url = file.cluster.redis_url;
  }
  if (!merged.cluster.edge_id && !file.cluster.edge_id.empty()) {
    merged.cluster.edge_id = file.cluster.edge_id;
  }
  if (!merged.cluster.secret && !file.cluster.secret.empty()) {
    merged.cluster.secret = file.cluster.secret;
  }
  // Tokens of the file are hashed already; the flag path would demand one of its own.
  merged.allow_anonymous = flags.allow_anonymous || !file.authtokens.empty();
  edge::EdgeOptions options = edge_options_from_flags(merged);
  options.allow_anonymous = flags.allow_anonymous;
  options.authtokens.insert(options.authtokens.begin(), file.authtokens.begin(),
                            file.authtokens.end());
  const auto max_body = options.limits.max_body_bytes;
  const auto flag_limits = options.limits;
  options.limits = file.limits;
  options.limits.max_body_bytes = max_body;
  // sessions: failed authtokens per client address; a flag given overrides the file
  if (given("--auth-failures-per-minute")) {
    options.limits.auth_failures_per_minute = flag_limits.auth_failures_per_minute;
  }
  if (given("--auth-failure-block")) {
    options.limits.auth_failure_block = flag_limits.auth_failure_block;
  }
  // public-limits: edge.yml's limits and trusted_proxies, then the flags over them.
  options.trusted_proxies = file.trusted_proxies;
  apply_public_limit_flags(flags.public_limits, options);
  apply_buffer_max_body_flag(flags, options);  // durable delivery (accept)
  // operations: acme: edge.yml's acme keys, then the flags over them.
  options.acme = file.acme;
  apply_acme_flags(flags.acme, options);
  options.ping_interval = file.ping_interval;
  return options;
}

}  // namespace relay::cli
