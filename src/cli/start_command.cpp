// `relay start NAME... | --all | --none`: the agent with tunnels from the config file, reloaded
// on SIGHUP, with systemd readiness (Type=notify).
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/edge_flags.hpp"
#include "cli/start_runtime.hpp"
#include "cli/upstream_timeout_flag.hpp"
#include "relay/config/agent_config.hpp"
#include "relay/config/config_paths.hpp"

namespace relay::cli {

namespace {

struct StartFlags {
  std::vector<std::string> names;
  bool all = false;
  bool none = false;
  std::vector<std::string> files;
  std::string authtoken;
  std::vector<std::string> edges;
  std::size_t ha_connections = 0;
  std::string edge_ca;
  bool edge_insecure = false;
  std::string inspect_addr;
  std::string state_dir;
  std::string upstream_timeout;
};

// The config's log settings apply unless the matching flag was given.
void apply_config_logging(CLI::App& root, CliContext& ctx, const config::AgentConfig& config) {
  if (!config.log.empty() && root.get_option("--log")->count() == 0) ctx.log_target = config.log;
  if (!config.log_level.empty() && root.get_option("--log-level")->count() == 0) {
    ctx.log_level = config.log_level;
  }
  if (!config.log_format.empty() && root.get_option("--log-format")->count() == 0) {
    ctx.log_format = config.log_format;
  }
}

int start(CLI::App& root, CLI::App& cmd, CliContext& ctx, const StartFlags& flags) {
  const int modes = (flags.names.empty() ? 0 : 1) + (flags.all ? 1 : 0) + (flags.none ? 1 : 0);
  if (modes != 1) {
    std::cerr << "relay start: name the tunnels to start (relay start web api), or pass --all "
                 "(every tunnel of the config) or --none (the agent and its API only)\n";
    return kExitUsage;
  }
  StartRequest request;
  request.paths = config::agent_config_paths_to_read(flags.files);
  request.selection = {flags.names, flags.all};
  auto load = config::load_agent_config(request.paths, config::builtin_provider_check());
  for (const auto& d : load.diagnostics.all()) std::cerr << d.to_string() << '\n';
  if (!load.ok()) {
    std::cerr << "relay start: the config has problems (above); fix them and check with "
                 "`relay config check`\n";
    return kExitFailure;
  }
  apply_config_logging(root, ctx, load.config);
  ctx.apply_logging();

  config::Diagnostics diagnostics;
  auto options = config::to_agent_options(load.config, request.selection, diagnostics);
  for (const auto& d : diagnostics.all()) std::cerr << d.to_string() << '\n';
  if (diagnostics.has_errors()) return kExitFailure;

  request.config_edges = options.edges;
  request.config_ha_connections = options.ha_connections;
  request.config_authtoken = options.authtoken;
  // Flags override the config.
  if (cmd.get_option("--authtoken")->count() > 0) options.authtoken = flags.authtoken;
  if (cmd.get_option("--edge")->count() > 0) options.edges = flags.edges;
  if (cmd.get_option("--ha-connections")->count() > 0) {
    options.ha_connections = flags.ha_connections;
  }
  if (cmd.get_option("--edge-ca")->count() > 0) options.edge_ca_file = flags.edge_ca;
  if (flags.edge_insecure) options.edge_insecure = true;
  if (!flags.state_dir.empty()) options.state_dir = flags.state_dir;
  if (cmd.get_option("--inspect-addr")->count() > 0) {
    options.inspect_addr = flags.inspect_addr == "false" ? std::string{} : flags.inspect_addr;
  }
  apply_upstream_timeout_flag(flags.upstream_timeout, options.limits);
  return run_agent_with_reload(std::move(options), std::move(request));
}

}  // namespace

void add_start_command(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<StartFlags>();
  auto* cmd = app.add_subcommand(
      "start", "Start tunnels named in the config file (relay start web api | --all | --none)");
  cmd->add_option("NAME", flags->names, "Tunnels to start (keys under tunnels: in the config)");
  cmd->add_flag("--all", flags->all, "Start every tunnel of the config");
  cmd->add_flag("--none", flags->none,
                "Start no tunnel: the agent and its inspector API only (for client libraries)");
  cmd->add_option("--config", flags->files,
                  "Config file (repeatable; later files override earlier ones). Default: "
                  "$RELAY_CONFIG, else " +
                      config::default_agent_config_path());
  cmd->add_option("--authtoken", flags->authtoken, "Overrides authtoken of the config");
  add_edge_flags(*cmd, flags->edges, flags->ha_connections,
                 "Overrides edge/edges of the config (HOST:PORT; repeat for several edges)");
  cmd->add_option("--edge-ca", flags->edge_ca, "Overrides edge_ca of the config (PEM file)");
  cmd->add_flag("--edge-insecure", flags->edge_insecure,
                "Do not verify the edge certificate (tests only)");
  cmd->add_option("--inspect,--inspect-addr", flags->inspect_addr,
                  "Overrides inspect_addr of the config (HOST:PORT or false)");
  cmd->add_option("--state-dir", flags->state_dir,
                  "Overrides state_dir of the config (captured requests database)");
  add_upstream_timeout_flag(*cmd, flags->upstream_timeout);
  cmd->callback([&app, cmd, &ctx, flags] { ctx.exit_code = start(app, *cmd, ctx, *flags); });
}

}  // namespace relay::cli
