#pragma once

#include <CLI/CLI.hpp>

#include "cli/cli_context.hpp"

namespace relay::cli {

// Every command of the binary, registered in one visible list in main.cpp.
void add_http_command(CLI::App& app, CliContext& ctx);
void add_edge_command(CLI::App& app, CliContext& ctx);
void add_start_command(CLI::App& app, CliContext& ctx);
void add_config_command(CLI::App& app, CliContext& ctx);
void add_service_command(CLI::App& app, CliContext& ctx);
void add_webhook_command(CLI::App& app, CliContext& ctx);
void add_providers_command(CLI::App& app, CliContext& ctx);
void add_replay_command(CLI::App& app, CliContext& ctx);
void add_queue_command(CLI::App& app, CliContext& ctx);
void add_version_command(CLI::App& app, CliContext& ctx);

}  // namespace relay::cli
