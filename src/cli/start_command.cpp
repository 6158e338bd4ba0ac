// PLACEHOLDER: replaced by the owner of `relay start`.
#include "cli/commands.hpp"

namespace relay::cli {

void add_start_command(CLI::App& app, CliContext& ctx) {
  app.add_subcommand("start", "(not built yet)")->callback([&ctx] { ctx.exit_code = kExitFailure; });
}

}  // namespace relay::cli
