// `relay edge token add|list|revoke`: authtokens of the edge config file. A new token is
// printed once; the file keeps only its SHA-256 (config/edge_token_store.cpp edits the text).
#include <iostream>

#include "cli/cluster_redis.hpp"  // cluster: tokens
#include "cli/edge_config_flags.hpp"
#include "cli/edge_token_cluster.hpp"  // cluster: tokens
#include "relay/config/config_paths.hpp"
#include "relay/config/edge_config.hpp"
#include "relay/config/edge_token_store.hpp"
#include "relay/config/text_edit.hpp"
#include "relay/edge/auth_token.hpp"

namespace relay::cli {

namespace {

struct TokenFlags {
  std::string config;
  std::string label;
  std::vector<std::string> reserve;
  std::optional<std::string> cluster;  // cluster: tokens: --cluster redis://...
};

int add_token(const TokenFlags& flags) {
  // cluster: tokens
  if (auto url = cluster_redis_url(flags.cluster, flags.config); !url.empty()) {
    return add_cluster_token(url, flags.label, flags.reserve);
  }
  const std::string path = config::edge_config_path(flags.config);
  try {
    const std::string text = config::read_file_or_empty(path);
    const std::string token = config::generate_token();
    edge::AuthToken entry = edge::make_auth_token(token, flags.label);
    entry.reserved_names = flags.reserve;
    const std::string updated = config::add_token_entry(text, entry);
    // Check the result as the edge will read it: a bad --reserve name or a clash is caught now.
    auto check = config::parse_edge_config(
        {std::make_shared<config::ConfigSource>(config::ConfigSource{path, updated, false})});
    if (!check.ok()) {
      for (const auto& d : check.diagnostics.all()) std::cerr << d.to_string() << '\n';
      std::cerr << "relay edge token add: " << path << " was not changed\n";
      return kExitFailure;
    }
    config::write_file_atomically(path, updated, 0640);
    std::cout << "Added token '" << entry.label << "' to " << path << ".\n"
              << "Token (shown once; only its SHA-256 is stored):\n\n  " << token << "\n\n"
              << "On the agent: relay config add-authtoken " << token << "\n"
              << "Restart the edge (systemctl restart relay-edge) to accept it.\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "relay edge token add: " << e.what() << '\n';
    return kExitFailure;
  }
}

int list_tokens(const TokenFlags& flags) {
  // cluster: tokens
  if (auto url = cluster_redis_url(flags.cluster, flags.config); !url.empty()) {
    return list_cluster_tokens(url);
  }
  const std::string path = config::edge_config_path(flags.config);
  auto load = config::load_edge_config({path});
  for (const auto& d : load.diagnostics.all()) std::cerr << d.to_string() << '\n';
  if (!load.ok()) return kExitFailure;
  if (load.options.authtokens.empty()) {
    std::cout << "no tokens in " << path << "; add one with `relay edge token add --label NAME`\n";
    return 0;
  }
  std::cout << "LABEL                SHA-256 (prefix)   RESERVED\n";
  for (const auto& token : load.options.authtokens) {
    std::string reserved;
    for (const auto& name : token.reserved_names) reserved += (reserved.empty() ? "" : ", ") + name;
    std::cout << token.label
              << std::string(token.label.size() < 21 ? 21 - token.label.size() : 1, ' ')
              << token.sha256_hex.substr(0, 16) << "   " << (reserved.empty() ? "-" : reserved)
              << '\n';
  }
  return 0;
}

int revoke_token(const TokenFlags& flags) {
  // cluster: tokens
  if (auto url = cluster_redis_url(flags.cluster, flags.config); !url.empty()) {
    return revoke_cluster_token(url, flags.label);
  }
  const std::string path = config::edge_config_path(flags.config);
  try {
    const std::string text = config::read_file_or_empty(path);
    const std::string updated = config::remove_token_entry(text, flags.label);
    config::write_file_atomically(path, updated, 0640);
    std::cout << "Revoked token '" << flags.label << "' in " << path
              << ". Restart the edge (systemctl restart relay-edge) to refuse it.\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "relay edge token revoke: " << e.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace

void add_edge_token_command(CLI::App& edge_command, CliContext& ctx) {
  auto flags = std::make_shared<TokenFlags>();
  auto* token =
      edge_command.add_subcommand("token", "Manage the authtokens of the edge config file");
  token->require_subcommand(1);
  const std::string config_help =
      "Edge config file (default: $RELAY_EDGE_CONFIG, else /etc/relay/edge.yml)";
  // cluster: tokens
  const std::string cluster_help =
      "The cluster's Redis, redis://[:PASSWORD@]HOST:PORT/DB: the token goes there (hashed) "
      "instead of the config file, and every edge with --cluster accepts it at once (default: "
      "the config file's cluster.redis, when it has one)";

  auto* add = token->add_subcommand("add", "Make a new token, print it once, store its SHA-256");
  add->add_option("--config", flags->config, config_help);
  add->add_option("--label", flags->label,
                  "Name shown in logs and used to revoke (default: tok-HASH)");
  add->add_option("--reserve", flags->reserve,
                  "A tunnel name only this token may use (repeatable)");
  add->add_option("--cluster", flags->cluster, cluster_help);  // cluster: tokens
  add->callback([&ctx, flags] { ctx.exit_code = add_token(*flags); });

  auto* list =
      token->add_subcommand("list", "List the tokens (labels, hash prefixes, reserved names)");
  list->add_option("--config", flags->config, config_help);
  list->add_option("--cluster", flags->cluster, cluster_help);  // cluster: tokens
  list->callback([&ctx, flags] { ctx.exit_code = list_tokens(*flags); });

  auto* revoke = token->add_subcommand("revoke", "Remove the token with this label");
  revoke->add_option("--config", flags->config, config_help);
  revoke->add_option("LABEL", flags->label, "The token's label (see `relay edge token list`)")
      ->required();
  revoke->add_option("--cluster", flags->cluster, cluster_help);  // cluster: tokens
  revoke->callback([&ctx, flags] { ctx.exit_code = revoke_token(*flags); });
}

bool edge_token_invoked(const CLI::App& edge_command) {
  return edge_command.get_subcommand("token")->parsed();
}

}  // namespace relay::cli
