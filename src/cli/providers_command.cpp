// PLACEHOLDER: replaced by the owner of `relay providers`.
#include "cli/commands.hpp"

namespace relay::cli {

void add_providers_command(CLI::App& app, CliContext& ctx) {
  app.add_subcommand("providers", "(not built yet)")->callback([&ctx] { ctx.exit_code = kExitFailure; });
}

}  // namespace relay::cli
