// PLACEHOLDER: replaced by the owner of `relay replay`.
#include "cli/commands.hpp"

namespace relay::cli {

void add_replay_command(CLI::App& app, CliContext& ctx) {
  app.add_subcommand("replay", "(not built yet)")->callback([&ctx] { ctx.exit_code = kExitFailure; });
}

}  // namespace relay::cli
