// `relay config check | add-authtoken | edit | path`: the agent config file (and, for check,
// the edge config file).
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/child_process.hpp"
#include "cli/commands.hpp"
#include "relay/config/agent_config.hpp"
#include "relay/config/config_paths.hpp"
#include "relay/config/edge_config.hpp"
#include "relay/config/text_edit.hpp"

namespace relay::cli {

namespace {

struct ConfigFlags {
  std::vector<std::string> files;
  std::string edge_file;
  std::string token;
};

// The file edits go to: the last --config (it overrides the others), else the default.
std::string target_file(const ConfigFlags& flags) {
  return config::agent_config_paths(flags.files).back();
}

void print_diagnostics(const config::Diagnostics& diagnostics) {
  for (const auto& d : diagnostics.all()) std::cerr << d.to_string() << '\n';
}

std::string files_text(const std::vector<std::string>& files) {
  std::string out;
  for (const auto& file : files) out += (out.empty() ? "" : ", ") + file;
  return out;
}

void print_agent_summary(const config::AgentConfig& config) {
  std::cout << files_text(config.files) << ": OK\n";
  std::string edges = config.edge;
  for (const auto& e : config.edges) edges += (edges.empty() ? "" : ", ") + e;
  std::cout << "  edge:      " << (edges.empty() ? "none (an embedded edge on loopback)" : edges)
            << (config.authtoken.empty() ? "" : " (authtoken set)") << '\n';
  std::cout << "  inspector: "
            << (!config.inspect_addr           ? std::string{"127.0.0.1:4040 (default)"}
                : config.inspect_addr->empty() ? std::string{"off"}
                                               : *config.inspect_addr)
            << '\n';
  std::cout << "  tunnels:   " << config.tunnels.size() << '\n';
  for (const auto& tunnel : config.tunnels) {
    std::cout << "    " << tunnel.name << ": " << tunnel.proto << " → " << tunnel.addr;
    if (!tunnel.url.empty()) std::cout << ", url " << tunnel.url;
    if (tunnel.verify_webhook) std::cout << ", verify " << tunnel.verify_webhook->provider;
    if (tunnel.buffer) std::cout << ", buffer " << core::to_string(tunnel.buffer->mode);
    if (tunnel.basic_auth) std::cout << ", basic auth";
    std::cout << '\n';
  }
}

int check_agent(const ConfigFlags& flags) {
  const auto paths = config::agent_config_paths(flags.files);
  auto load = config::load_agent_config(paths, config::builtin_provider_check());
  if (load.ok()) {
    // Secrets given as env:/file: must be readable by whoever runs `relay start`.
    config::to_agent_options(load.config, {{}, true}, load.diagnostics);
  }
  print_diagnostics(load.diagnostics);
  if (load.diagnostics.has_errors()) {
    const auto count = load.diagnostics.error_count();
    std::cerr << count << (count == 1 ? " problem" : " problems") << " in " << files_text(paths)
              << "; fix " << (count == 1 ? "it" : "them")
              << " and run `relay config check` again\n";
    return kExitFailure;
  }
  print_agent_summary(load.config);
  return 0;
}

int check_edge(const std::string& path) {
  auto load = config::load_edge_config({path});
  print_diagnostics(load.diagnostics);
  if (load.diagnostics.has_errors()) {
    const auto count = load.diagnostics.error_count();
    std::cerr << count << (count == 1 ? " problem" : " problems") << " in " << path << "; fix "
              << (count == 1 ? "it" : "them") << " and run `relay config check --edge " << path
              << "` again\n";
    return kExitFailure;
  }
  const auto& o = load.options;
  std::cout << path << ": OK\n";
  std::cout << "  domain:    " << o.domain << '\n';
  for (const auto& l : o.listen) std::cout << "  listen:    http  " << l << '\n';
  for (const auto& l : o.listen_tls) std::cout << "  listen:    https " << l << '\n';
  std::cout << "  agents:    " << o.agent_listen << " (TLS)\n";
  std::cout << "  tokens:    " << o.authtokens.size() << '\n';
  return 0;
}

int add_authtoken(const ConfigFlags& flags) {
  const std::string path = target_file(flags);
  try {
    const std::string text = config::read_file_or_empty(path);
    const bool created = text.empty();
    std::string updated = config::set_top_level_scalar(
        created ? std::string{"version: \"2\"\n"} : text, "authtoken", flags.token);
    if (created) updated += "tunnels: {}\n";
    config::write_file_atomically(path, updated, 0600);
    std::cout << "Authtoken saved to " << path << (created ? " (created, mode 0600)" : "") << '\n';
    return 0;
  } catch (const std::invalid_argument& e) {
    std::cerr << "relay config add-authtoken: the token is not valid: " << e.what()
              << "; copy it again from `relay edge token add`\n";
  } catch (const std::exception& e) {
    std::cerr << "relay config add-authtoken: " << e.what() << '\n';
  }
  return kExitFailure;
}

int edit(const ConfigFlags& flags) {
  const std::string path = target_file(flags);
  try {
    if (config::read_file_or_empty(path).empty()) {
      config::write_file_atomically(path,
                                    "version: \"2\"\n# authtoken: \"...\"\n# edge: host:4443\n"
                                    "tunnels: {}\n",
                                    0600);
    }
  } catch (const std::exception& e) {
    std::cerr << "relay config edit: " << e.what() << '\n';
    return kExitFailure;
  }
  const char* editor = std::getenv("VISUAL");
  if (editor == nullptr || *editor == '\0') editor = std::getenv("EDITOR");
  if (editor == nullptr || *editor == '\0') editor = "vi";
  // Through the shell, as git does, so EDITOR="code --wait" works.
  const std::string script = std::string{editor} + " \"$1\"";
  if (run_child({"/bin/sh", "-c", script, "sh", path}) != 0) {
    std::cerr << "relay config edit: the editor '" << editor
              << "' failed; set $EDITOR to one that works\n";
    return kExitFailure;
  }
  return check_agent({{path}, {}, {}});
}

}  // namespace

void add_config_command(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<ConfigFlags>();
  auto* cmd = app.add_subcommand("config", "Check and edit the agent config file (relay.yml)");
  cmd->require_subcommand(1);
  auto add_config_option = [&](CLI::App* sub) {
    sub->add_option("--config", flags->files,
                    "Config file (repeatable; later files override earlier ones). Default: "
                    "$RELAY_CONFIG, else " +
                        config::default_agent_config_path());
  };

  auto* check = cmd->add_subcommand(
      "check",
      "Validate the config: exit 0 and a summary, or every problem (file:line:column) and exit 1");
  add_config_option(check);
  check->add_option("--edge", flags->edge_file, "Check this edge config file (edge.yml) instead");
  check->callback([&ctx, flags] {
    ctx.apply_logging();
    ctx.exit_code = flags->edge_file.empty() ? check_agent(*flags) : check_edge(flags->edge_file);
  });

  auto* add_token = cmd->add_subcommand(
      "add-authtoken", "Save the authtoken in the config file (created with mode 0600 if missing)");
  add_config_option(add_token);
  add_token->add_option("TOKEN", flags->token, "The token printed by `relay edge token add`")
      ->required();
  add_token->callback([&ctx, flags] {
    ctx.apply_logging();
    ctx.exit_code = add_authtoken(*flags);
  });

  // ngrok v2's form of the same, for scripts and client libraries written for it.
  auto* authtoken_cmd = app.add_subcommand(
      "authtoken",
      "Save the authtoken in the config file (the same as relay config add-authtoken)");
  add_config_option(authtoken_cmd);
  authtoken_cmd->add_option("TOKEN", flags->token, "The token printed by `relay edge token add`")
      ->required();
  authtoken_cmd->callback([&ctx, flags] {
    ctx.apply_logging();
    ctx.exit_code = add_authtoken(*flags);
  });

  auto* edit_cmd =
      cmd->add_subcommand("edit", "Open the config file in $VISUAL / $EDITOR, then check it");
  add_config_option(edit_cmd);
  edit_cmd->callback([&ctx, flags] {
    ctx.apply_logging();
    ctx.exit_code = edit(*flags);
  });

  auto* path_cmd = cmd->add_subcommand("path", "Print the path of the config file relay reads");
  add_config_option(path_cmd);
  path_cmd->callback([flags] {
    for (const auto& path : config::agent_config_paths(flags->files)) std::cout << path << '\n';
  });
}

}  // namespace relay::cli
