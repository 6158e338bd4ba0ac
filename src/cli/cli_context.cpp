#include "cli/cli_context.hpp"

namespace relay::cli {

void CliContext::apply_logging() const {
  core::LogOptions options;
  options.target = log_target;
  if (!log_format.empty()) {
    options.format = core::parse_log_format(log_format);
    if (!options.format) {
      throw CLI::ValidationError("--log-format", "'" + log_format + "' is not a log format; use term, logfmt or json");
    }
  }
  auto level = core::parse_log_level(log_level);
  if (!level) {
    throw CLI::ValidationError("--log-level",
                               "'" + log_level + "' is not a log level; use trace, debug, info, warn, error or off");
  }
  options.level = *level;
  try {
    core::configure_logging(options);
  } catch (const std::runtime_error& e) {
    throw CLI::ValidationError("--log", e.what());
  }
}

void add_logging_flags(CLI::App& app, CliContext& ctx) {
  app.add_option("--log", ctx.log_target, "Where logs go: stdout, stderr, false (off) or a file path")
      ->default_str("stderr");
  app.add_option("--log-format", ctx.log_format,
                 "Log format: term (coloured, the default on a terminal), logfmt (default otherwise) or json");
  app.add_option("--log-level", ctx.log_level, "Least severe level logged: trace, debug, info, warn, error")
      ->default_str("info");
}

}  // namespace relay::cli
