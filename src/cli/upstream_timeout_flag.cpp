#include "cli/upstream_timeout_flag.hpp"

#include "relay/config/upstream_timeout.hpp"

namespace relay::cli {

void add_upstream_timeout_flag(CLI::App& command, std::string& value) {
  // Checked while the command line is parsed, before a config file is read or an edge started.
  const CLI::Validator whole_seconds(
      [](std::string& text) {
        return config::parse_upstream_timeout(text)
                   ? std::string{}
                   : std::string(config::kUpstreamTimeoutExpected) + ", got '" + text + "'";
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
  if (auto timeout = config::parse_upstream_timeout(value)) {
    limits.upstream_response_timeout = *timeout;
  }
}

}  // namespace relay::cli
