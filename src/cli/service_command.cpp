// `relay service install|uninstall|start|stop|status|logs`: the systemd unit of the agent (or,
// with --edge, of the edge), written from service_unit.cpp and driven through systemctl.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/child_process.hpp"
#include "cli/commands.hpp"
#include "cli/service_unit.hpp"
#include "relay/config/config_paths.hpp"
#include "relay/config/text_edit.hpp"

namespace relay::cli {

namespace {

namespace fs = std::filesystem;

struct ServiceFlags {
  std::string config;
  std::string binary;
  bool user = false;
  bool edge = false;
  bool dry_run = false;
  bool follow = false;
};

using Command = std::vector<std::string>;

std::string command_text(const Command& command) {
  std::string out;
  for (const auto& arg : command) out += (out.empty() ? "" : " ") + arg;
  return out;
}

bool systemd_running() { return fs::is_directory("/run/systemd/system"); }

int no_systemd(std::string_view action) {
  std::cerr << "relay service " << action
            << ": systemd is not running on this machine (no /run/systemd/system), so there is "
               "no service manager to install relay into. Run `relay start --all` under your own "
               "supervisor instead, or pass --dry-run to see the unit and commands.\n";
  return kExitFailure;
}

// Runs `command` with no shell; its output goes to ours. The exit status, 127 if not found.
int run(const Command& command) {
  std::cout << "+ " << command_text(command) << std::endl;
  return run_child(command);
}

Command systemctl(const ServiceFlags& flags, std::initializer_list<std::string> args) {
  Command command{"systemctl"};
  if (flags.user) command.emplace_back("--user");
  command.insert(command.end(), args);
  return command;
}

std::string home() {
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') return h;
  const passwd* pw = ::getpwuid(::getuid());
  return pw != nullptr ? pw->pw_dir : "/root";
}

std::string unit_path(const ServiceFlags& flags, const std::string& unit_name) {
  if (!flags.user) return "/etc/systemd/system/" + unit_name;
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const std::string base = xdg != nullptr && *xdg == '/' ? xdg : home() + "/.config";
  return base + "/systemd/user/" + unit_name;
}

ServiceUnitSpec spec_of(const ServiceFlags& flags) {
  ServiceUnitSpec spec;
  spec.edge = flags.edge;
  spec.user_mode = flags.user;
  spec.binary = flags.binary;
  if (spec.binary.empty()) {
    std::error_code ec;
    const auto self = fs::canonical("/proc/self/exe", ec);
    spec.binary = ec ? "/usr/bin/relay" : self.string();
  }
  spec.config = flags.config;
  if (spec.config.empty()) {
    if (flags.edge) {
      spec.config = config::edge_config_path("");
    } else {
      spec.config = flags.user ? config::default_agent_config_path() : "/etc/relay/relay.yml";
    }
  }
  spec.config = fs::absolute(spec.config).lexically_normal().string();
  return spec;
}

// Executes or, with --dry-run, prints the steps. Stops at the first failing command.
int perform(const ServiceFlags& flags, const std::vector<Command>& commands) {
  for (const auto& command : commands) {
    if (flags.dry_run) {
      std::cout << command_text(command) << '\n';
      continue;
    }
    if (const int status = run(command); status != 0) {
      std::cerr << "relay service: `" << command_text(command) << "` failed (exit " << status
                << "); see its message above\n";
      return kExitFailure;
    }
  }
  return 0;
}

int install(const ServiceFlags& flags) {
  if (!flags.dry_run && !systemd_running()) return no_systemd("install");
  const auto spec = spec_of(flags);
  const auto name = service_unit_name(spec);
  const auto path = unit_path(flags, name);
  const auto unit = render_service_unit(spec);
  std::vector<Command> commands;
  if (!flags.user) {
    // The unit runs as the system user relay; the config (with its authtoken) stays root-owned
    // and readable by that group only.
    struct passwd* pw = ::getpwnam("relay");
    if (pw == nullptr || flags.dry_run) {
      commands.push_back({"useradd", "--system", "--user-group", "--home-dir", "/var/lib/relay",
                          "--no-create-home", "--shell", "/usr/sbin/nologin", "relay"});
    }
    commands.push_back({"chown", "root:relay", spec.config});
    commands.push_back({"chmod", "0640", spec.config});
  }
  commands.push_back(systemctl(flags, {"daemon-reload"}));
  commands.push_back(systemctl(flags, {"enable", "--now", name}));

  if (flags.dry_run) {
    std::cout << "# relay service install --dry-run: nothing is changed.\n";
    if (!systemd_running()) {
      std::cout << "# note: systemd is not running here (no /run/systemd/system); a real install "
                   "would stop with an error.\n";
    }
    std::cout << "# would write " << path << ":\n" << unit << "# would run:\n";
    return perform(flags, commands);
  }
  if (!fs::exists(spec.config)) {
    std::cerr << "relay service install: " << spec.config << " does not exist; write it first ("
              << (flags.edge ? "see config/edge.yml"
                             : "relay config add-authtoken, relay config edit")
              << ") or pass --config FILE\n";
    return kExitFailure;
  }
  try {
    config::write_file_atomically(path, unit, 0644);
    ::chmod(path.c_str(), 0644);
  } catch (const std::exception& e) {
    std::cerr << "relay service install: " << e.what()
              << (flags.user ? "" : " (system units need root: run it with sudo, or pass --user)")
              << '\n';
    return kExitFailure;
  }
  std::cout << "wrote " << path << '\n';
  if (const int rc = perform(flags, commands); rc != 0) return rc;
  std::cout << name << " is installed and started; `relay service status"
            << (flags.user ? " --user" : "") << "` shows it, `relay service logs` its log\n";
  return 0;
}

int uninstall(const ServiceFlags& flags) {
  if (!flags.dry_run && !systemd_running()) return no_systemd("uninstall");
  const auto name = service_unit_name(spec_of(flags));
  const auto path = unit_path(flags, name);
  const std::vector<Command> commands = {systemctl(flags, {"disable", "--now", name}),
                                         {"rm", "-f", path},
                                         systemctl(flags, {"daemon-reload"})};
  if (flags.dry_run) std::cout << "# would run:\n";
  return perform(flags, commands);
}

int control(const ServiceFlags& flags, std::string_view action) {
  if (!flags.dry_run && !systemd_running()) return no_systemd(action);
  const auto name = service_unit_name(spec_of(flags));
  Command command;
  if (action == "logs") {
    command = {"journalctl", flags.user ? "--user-unit" : "--unit", name, "--no-pager", "-n",
               "200"};
    if (flags.follow) command.emplace_back("--follow");
  } else {
    command = systemctl(flags, {std::string{action}, name});
    if (action == "status") command.insert(command.begin() + 1, "--no-pager");
  }
  if (flags.dry_run) {
    std::cout << command_text(command) << '\n';
    return 0;
  }
  std::cout.flush();
  const int status = run(command);
  // systemctl status exits 3 for a stopped unit: report it, it is not a failure of ours.
  return status == 0 || (action == "status" && status == 3) ? 0 : kExitFailure;
}

}  // namespace

void add_service_command(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<ServiceFlags>();
  auto* cmd =
      app.add_subcommand("service", "Run relay as a systemd service (install, start, logs, ...)");
  cmd->require_subcommand(1);
  auto common = [&flags](CLI::App* sub) {
    sub->add_flag("--user", flags->user, "A user unit (systemctl --user) instead of a system unit");
    sub->add_flag("--edge", flags->edge,
                  "The edge's unit (relay-edge.service) instead of the agent's");
    sub->add_flag("--dry-run", flags->dry_run,
                  "Print what would be written and run; change nothing");
  };
  auto* install_cmd = cmd->add_subcommand("install", "Write the unit, enable and start it");
  common(install_cmd);
  install_cmd->add_option("--config", flags->config,
                          "Config file the service reads (default: /etc/relay/relay.yml; "
                          "with --user: " +
                              config::default_agent_config_path() +
                              "; with --edge: /etc/relay/edge.yml)");
  install_cmd->add_option("--binary", flags->binary,
                          "relay binary the unit runs (default: this one)");
  install_cmd->callback([&ctx, flags] { ctx.exit_code = install(*flags); });

  auto* uninstall_cmd =
      cmd->add_subcommand("uninstall", "Stop and disable the service, remove the unit");
  common(uninstall_cmd);
  uninstall_cmd->callback([&ctx, flags] { ctx.exit_code = uninstall(*flags); });

  for (const char* action : {"start", "stop", "restart", "reload", "status", "logs"}) {
    auto* sub = cmd->add_subcommand(
        action, std::string{"systemctl "} + action + " of the relay unit" +
                    (std::string_view{action} == "logs" ? " (journalctl; -f to follow)" : ""));
    common(sub);
    if (std::string_view{action} == "logs")
      sub->add_flag("-f,--follow", flags->follow, "Follow the log");
    sub->callback([&ctx, flags, action] { ctx.exit_code = control(*flags, action); });
  }
}

}  // namespace relay::cli
