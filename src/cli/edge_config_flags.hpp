#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/cli_context.hpp"
#include "cli/edge_command.hpp"
#include "relay/edge/edge_options.hpp"

namespace relay::cli {

// `relay edge --config edge.yml` (repeatable; later files override earlier ones).
struct EdgeConfigFlag {
  std::vector<std::string> files;
};

std::shared_ptr<EdgeConfigFlag> add_edge_config_flag(CLI::App& edge_command);

// The edge's options: from the config files when --config is given, every flag given on the
// command line overriding its key; from the flags alone otherwise. Config problems are printed
// (file:line:column) and nullopt returned. Throws CLI::ValidationError for bad flags.
std::optional<edge::EdgeOptions> edge_options_for(const CLI::App& edge_command,
                                                  const EdgeFlags& flags,
                                                  const EdgeConfigFlag& config, CliContext& ctx);

// `relay edge token add|list|revoke`, and whether it is the subcommand being run (then the
// `relay edge` callback must not start an edge).
void add_edge_token_command(CLI::App& edge_command, CliContext& ctx);
bool edge_token_invoked(const CLI::App& edge_command);

// `relay edge names list|release NAME` (state): the name ownership in the edge's state database,
// read and changed while the edge may be running (src/cli/edge_names_command.cpp).
void add_edge_names_command(CLI::App& edge_command, CliContext& ctx);
bool edge_names_invoked(const CLI::App& edge_command);

// durable delivery: store
// `relay edge queue stats|list`: the delivery queue in the edge's state database, read while the
// edge may be running (src/cli/edge_queue_command.cpp).
void add_edge_queue_command(CLI::App& edge_command, CliContext& ctx);
bool edge_queue_invoked(const CLI::App& edge_command);

}  // namespace relay::cli
