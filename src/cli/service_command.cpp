// PLACEHOLDER: replaced by the owner of `relay service`.
#include "cli/commands.hpp"

namespace relay::cli {

void add_service_command(CLI::App& app, CliContext& ctx) {
  app.add_subcommand("service", "(not built yet)")->callback([&ctx] { ctx.exit_code = kExitFailure; });
}

}  // namespace relay::cli
