#include "cli/upstream_timeout_flag.hpp"

#include <chrono>
#include <optional>

#include "relay/config/buffer_settings.hpp"

namespace relay::cli {

namespace {

constexpr std::chrono::seconds kLongest{3600};

std::optional<std::chrono::seconds> parse(const std::string& value) {
  const auto parsed = config::parse_duration(value);
  if (!parsed || *parsed < std::chrono::seconds{1} || *parsed > kLongest ||
      *parsed % std::chrono::seconds{1} != std::chrono::milliseconds{0}) {
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(*parsed);
}

}  // namespace

void add_upstream_timeout_flag(CLI::App& command, std::string& value) {
  // Checked while the command line is parsed, before a config file is read or an edge started.
  const CLI::Validator whole_seconds(
      [](std::string& text) {
        return parse(text)
                   ? std::string{}
                   : "expected whole seconds from 1s to 1h (e.g. 30, 30s, 2m), got '" + text + "'";
      },
      "");
  command
      .add_option("--upstream-timeout", value,
                  "How long the app gets to start its response (30s, 2m) before "
                  "the caller gets 504 RELAY_UPSTREAM_TIMEOUT; the edge's own response "
                  "timeout (120 s) still applies")
      ->check(whole_seconds)
      ->type_name("DURATION")
      ->default_str("60s");
}

void apply_upstream_timeout_flag(const std::string& value, agent::AgentLimits& limits) {
  if (auto timeout = parse(value)) limits.upstream_response_timeout = *timeout;
}

}  // namespace relay::cli
