#include <iostream>

#include "cli/commands.hpp"

namespace relay::cli {

void add_version_command(CLI::App& app, CliContext&) {
  auto* cmd = app.add_subcommand("version", "Print the version of relay and of the relay/1 protocol");
  cmd->callback([] { std::cout << "relay " RELAY_VERSION " (protocol relay/1)\n"; });
}

}  // namespace relay::cli
