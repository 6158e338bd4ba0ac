#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace relay::config {

// How long the agent waits for the app's response head before the caller gets 504
// (agent::AgentLimits::upstream_response_timeout): `--upstream-timeout` of `relay http` and
// `relay start`, and `upstream_timeout:` in the agent config. Whole seconds from 1 s to 1 h, as
// parse_duration reads them (30, 30s, 2m); nullopt for anything else.
std::optional<std::chrono::seconds> parse_upstream_timeout(std::string_view text);

// What a value parse_upstream_timeout refuses is told (the value itself follows).
inline constexpr std::string_view kUpstreamTimeoutExpected =
    "expected whole seconds from 1s to 1h (e.g. 30, 30s, 2m)";

}  // namespace relay::config
