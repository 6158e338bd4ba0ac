// PLACEHOLDER: replaced by the owner of `relay edge`.
#include "cli/commands.hpp"

namespace relay::cli {

void add_edge_command(CLI::App& app, CliContext& ctx) {
  app.add_subcommand("edge", "(not built yet)")->callback([&ctx] { ctx.exit_code = kExitFailure; });
}

}  // namespace relay::cli
