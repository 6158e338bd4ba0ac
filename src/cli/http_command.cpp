// PLACEHOLDER: replaced by the owner of `relay http`.
#include "cli/commands.hpp"

namespace relay::cli {

void add_http_command(CLI::App& app, CliContext& ctx) {
  app.add_subcommand("http", "(not built yet)")->callback([&ctx] { ctx.exit_code = kExitFailure; });
}

}  // namespace relay::cli
