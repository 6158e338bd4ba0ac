#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

namespace relay::core {

enum class LogFormat { term, logfmt, json };

struct LogOptions {
  // "stdout", "stderr", "false" (no log), or a file path (appended to).
  std::string target = "stderr";
  // Unset: term when the target is a terminal, logfmt otherwise.
  std::optional<LogFormat> format;
  spdlog::level::level_enum level = spdlog::level::info;
};

// Replaces the sinks of every logger, existing and future. Throws std::runtime_error with a
// message for the user when the target file cannot be opened.
void configure_logging(const LogOptions& options);

// The logger of a module ("relay.edge", "relay.agent.upstream"), made once and shared.
std::shared_ptr<spdlog::logger> logger(std::string_view name);

// A structured log line: a fixed message and key=value fields. The sink decides the rendering
// (term, logfmt, json), so call sites never format for one of them. A field whose value is
// empty is left out: optional fields are passed as empty strings.
struct LogField {
  std::string_view key;
  std::string value;
};
void log_event(spdlog::logger& log, spdlog::level::level_enum level, std::string_view msg,
               std::initializer_list<LogField> fields = {});
// The same for a line written once per request: a file or pipe may get it up to ~50 ms later, in
// one write with the lines of other requests, instead of one write(2) per line. Lines at warn
// and above, and all lines to a terminal, are still written at once.
void log_request_event(spdlog::logger& log, spdlog::level::level_enum level, std::string_view msg,
                       std::initializer_list<LogField> fields = {});

// Parses "debug", "info", ... for --log-level; nullopt when unknown.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text);
std::optional<LogFormat> parse_log_format(std::string_view text);

}  // namespace relay::core
