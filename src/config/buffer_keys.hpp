#pragma once

#include <string>

#include "relay/config/agent_config.hpp"
#include "value_reader.hpp"

namespace relay::config::detail {

// The tunnel's durable delivery keys (buffer, buffer_ttl, buffer_max, buffer_status,
// buffer_concurrency, buffer_ordered, buffer_resign, buffer_dedupe_window) into
// tunnel.buffer / tunnel.buffer_resign. Each bad value is an error at its line.
void read_buffer_keys(ValueReader& reader, const TreeNode& tunnel_node, const std::string& path,
                      TunnelConfig& tunnel);

}  // namespace relay::config::detail
