#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "relay/agent/agent_options.hpp"

namespace relay::cli {

// `--upstream-timeout DURATION` of `relay http` and `relay start`: how long the agent waits for
// the app's response head before it answers 504 RELAY_UPSTREAM_TIMEOUT (AgentLimits, 60 s by
// default). A string, parsed by config::parse_duration, so a bad value's message names the flag.
void add_upstream_timeout_flag(CLI::App& command, std::string& value);

// Sets limits.upstream_response_timeout when the flag was given. Its value was checked while
// the command line was parsed: whole seconds from 1 s to 1 h, else a usage error naming it.
void apply_upstream_timeout_flag(const std::string& value, agent::AgentLimits& limits);

}  // namespace relay::cli
