#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "relay/agent/agent_options.hpp"
#include "relay/core/buffer_policy.hpp"

// Durable delivery settings of a tunnel as the user writes them (relay.yml keys, `relay http`
// flags): the parsing both share, so a value means the same in either place.
namespace relay::config {

// "30s", "5m", "72h", "500ms" or a bare number of seconds; nullopt for anything else.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// `buffer:` / `--buffer`: off, offline, always; true/yes/on mean offline and false/no off
// (YAML habits). nullopt for anything else.
std::optional<core::BufferMode> parse_buffer_setting(std::string_view text);

// core::buffer_policy_error without its leading key name ("must be between 1s and 720h"), for
// a message that names the key or flag itself; "" when `policy` is within bounds. Callers check
// one setting at a time (the others at their defaults) so the message points at that one.
std::string buffer_setting_problem(const core::BufferPolicy& policy);

// buffer_resign re-signs with the tunnel's verifier: "" when `verification` can sign locally,
// else what is missing (no verification, or a provider whose secret is a public key).
std::string resign_problem(const std::optional<agent::WebhookVerification>& verification);

// What a user is told for a value that is not a mode.
inline constexpr std::string_view kBufferModeExpected = "expected offline, always or off";

}  // namespace relay::config
