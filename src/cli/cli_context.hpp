#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "relay/core/log.hpp"

namespace relay::cli {

// State shared by every command: the global logging flags and the process exit code that a
// command's callback sets.
struct CliContext {
  std::string log_target = "stderr";
  std::string log_format;  // empty: term on a terminal, logfmt otherwise
  std::string log_level = "info";
  int exit_code = 0;

  // Applies --log/--log-format/--log-level; throws CLI::ValidationError on a bad value.
  void apply_logging() const;
};

// Adds --log, --log-format and --log-level to `app` (inherited by subcommands).
void add_logging_flags(CLI::App& app, CliContext& ctx);

// Exit codes: 0 success, 1 the operation failed, 2 usage error (bad flag, bad value).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

}  // namespace relay::cli
