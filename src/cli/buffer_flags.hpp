#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "relay/agent/agent_options.hpp"

namespace relay::cli {

// `relay http`'s durable delivery flags (docs/delivery.md). Strings, parsed by
// config::parse_duration / the policy bounds, so a bad value's message names its flag.
struct BufferFlags {
  std::string mode;  // "" not given; `--buffer` alone gives "offline"
  std::string ttl;
  std::string max;
  std::string status;
  std::string concurrency;
  std::string dedupe_window;
  bool ordered = false;
  bool resign = false;
};

void add_buffer_flags(CLI::App& command, BufferFlags& flags);

// Sets tunnel.buffer (unset for off) and tunnel.buffer_resign; throws CLI::ValidationError
// naming the flag for a bad value or a setting without --buffer.
void apply_buffer_flags(const BufferFlags& flags, agent::TunnelOptions& tunnel);

}  // namespace relay::cli
