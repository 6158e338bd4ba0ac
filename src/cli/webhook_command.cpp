// PLACEHOLDER: replaced by the owner of `relay webhook`.
#include "cli/commands.hpp"

namespace relay::cli {

void add_webhook_command(CLI::App& app, CliContext& ctx) {
  app.add_subcommand("webhook", "(not built yet)")->callback([&ctx] { ctx.exit_code = kExitFailure; });
}

}  // namespace relay::cli
