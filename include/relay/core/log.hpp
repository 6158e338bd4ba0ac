#pragma once

#include <array>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

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

// A log field's value: a view of text that outlives the log call, or a number the formatter
// writes into its own buffer. A request's line has ~8 fields: building a std::string for each
// (std::to_string, copies of the path and ids) cost more than writing the line.
class LogValue {
 public:
  // Room for the text of any number: 20 digits, a sign or a decimal point, and a leading "0.".
  using Digits = std::array<char, 32>;

  LogValue(std::string_view text) : text_(text) {}  // NOLINT(google-explicit-constructor)
  LogValue(const char* text) : text_(text) {}       // NOLINT(google-explicit-constructor)
  // A temporary std::string is fine: it lives until the end of the log call's statement.
  LogValue(const std::string& text) : text_(text) {}  // NOLINT(google-explicit-constructor)
  template <std::integral N>
  requires(!std::same_as<N, bool> && !std::same_as<N, char>)
      LogValue(N number)  // NOLINT(google-explicit-constructor)
      : kind_(std::is_signed_v<N> ? Kind::signed_number : Kind::unsigned_number) {
    if constexpr (std::is_signed_v<N>) {
      signed_ = number;
    } else {
      unsigned_ = number;
    }
  }

  // Milliseconds with `decimals` (0 to 6) places, the last rounded half up, as printf's "%.2f"
  // of a double wrote them: "12.34". A negative duration is written as 0.
  static LogValue milliseconds(std::chrono::nanoseconds elapsed, int decimals);

  // Text that is empty: an optional field that is not there. A number is never empty.
  bool empty() const { return kind_ == Kind::text && text_.empty(); }
  // The value as text: the view itself, or the number written into `digits`. Inline: most
  // values are text, and a call per field per pass cost ~40 instructions each.
  std::string_view text(Digits& digits) const {
    return kind_ == Kind::text ? text_ : number_text(digits);
  }

 private:
  enum class Kind : unsigned char { text, signed_number, unsigned_number, fixed_point };
  LogValue() = default;
  std::string_view number_text(Digits& digits) const;

  union {
    std::string_view text_{};
    std::int64_t signed_;
    std::uint64_t unsigned_;  // also a fixed_point value, in units of its last decimal
  };
  Kind kind_ = Kind::text;
  unsigned char decimals_ = 0;
};

// A structured log line: a fixed message and key=value fields. The sink decides the rendering
// (term, logfmt, json), so call sites never format for one of them. A field whose value is
// empty is left out: optional fields are passed as empty strings.
struct LogField {
  std::string_view key;
  LogValue value;
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
