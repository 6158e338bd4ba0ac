// PLACEHOLDER: replaced by the owner of `relay config`.
#include "cli/commands.hpp"

namespace relay::cli {

void add_config_command(CLI::App& app, CliContext& ctx) {
  app.add_subcommand("config", "(not built yet)")->callback([&ctx] { ctx.exit_code = kExitFailure; });
}

}  // namespace relay::cli
