#include "buffer_keys.hpp"

#include <cstdint>
#include <limits>

#include "relay/config/buffer_settings.hpp"

namespace relay::config::detail {

namespace {

// Records the first buffer_* setting written, for the "no effect without buffer" warning.
struct SettingsSeen {
  const TreeNode* node = nullptr;
  std::string key;
  void saw(const TreeNode& n, const std::string& k) {
    if (node == nullptr) {
      node = &n;
      key = k;
    }
  }
};

// Checks `probe` (defaults plus one setting) and reports its problem at `node`.
bool within_bounds(ValueReader& reader, const TreeNode& node, const std::string& key,
                   const core::BufferPolicy& probe) {
  auto problem = buffer_setting_problem(probe);
  if (problem.empty()) return true;
  reader.error(node, key, problem + ", got " + describe(node.yaml));
  return false;
}

void read_duration_key(ValueReader& reader, const TreeNode& node, const std::string& key,
                       std::chrono::seconds core::BufferPolicy::*field,
                       core::BufferPolicy& policy) {
  auto value = reader.duration(node, key);
  if (!value) return;
  core::BufferPolicy probe;
  probe.*field = std::chrono::duration_cast<std::chrono::seconds>(*value);
  if (within_bounds(reader, node, key, probe)) policy.*field = probe.*field;
}

std::optional<std::int64_t> read_count(ValueReader& reader, const TreeNode& node,
                                       const std::string& key) {
  return reader.integer(node, key, 0, std::numeric_limits<std::int32_t>::max());
}

}  // namespace

void read_buffer_keys(ValueReader& reader, const TreeNode& tunnel_node, const std::string& path,
                      TunnelConfig& tunnel) {
  core::BufferPolicy policy;
  bool resign = false;
  bool valid = true;
  SettingsSeen seen;

  if (const auto* node = tunnel_node.find("buffer")) {
    const auto key = join_key(path, "buffer");
    if (node->yaml.IsScalar()) {
      if (auto mode = parse_buffer_setting(node->yaml.Scalar())) {
        policy.mode = *mode;
      } else {
        reader.error(*node, key,
                     std::string(kBufferModeExpected) + ", got " + describe(node->yaml));
        valid = false;
      }
    } else {
      reader.error(*node, key, std::string(kBufferModeExpected) + ", got " + describe(node->yaml));
      valid = false;
    }
  }
  if (const auto* node = tunnel_node.find("buffer_ttl")) {
    const auto key = join_key(path, "buffer_ttl");
    seen.saw(*node, key);
    read_duration_key(reader, *node, key, &core::BufferPolicy::ttl, policy);
  }
  if (const auto* node = tunnel_node.find("buffer_dedupe_window")) {
    const auto key = join_key(path, "buffer_dedupe_window");
    seen.saw(*node, key);
    read_duration_key(reader, *node, key, &core::BufferPolicy::dedupe_window, policy);
  }
  if (const auto* node = tunnel_node.find("buffer_max")) {
    const auto key = join_key(path, "buffer_max");
    seen.saw(*node, key);
    if (auto value = reader.integer(*node, key, 0, std::numeric_limits<std::int64_t>::max())) {
      core::BufferPolicy probe;
      probe.max_events = static_cast<std::uint64_t>(*value);
      if (within_bounds(reader, *node, key, probe)) policy.max_events = probe.max_events;
    }
  }
  if (const auto* node = tunnel_node.find("buffer_status")) {
    const auto key = join_key(path, "buffer_status");
    seen.saw(*node, key);
    if (auto value = read_count(reader, *node, key)) {
      core::BufferPolicy probe;
      probe.status = static_cast<int>(*value);
      if (within_bounds(reader, *node, key, probe)) policy.status = probe.status;
    }
  }
  if (const auto* node = tunnel_node.find("buffer_concurrency")) {
    const auto key = join_key(path, "buffer_concurrency");
    seen.saw(*node, key);
    if (auto value = read_count(reader, *node, key)) {
      core::BufferPolicy probe;
      probe.concurrency = static_cast<int>(*value);
      if (within_bounds(reader, *node, key, probe)) policy.concurrency = probe.concurrency;
    }
  }
  if (const auto* node = tunnel_node.find("buffer_ordered")) {
    const auto key = join_key(path, "buffer_ordered");
    seen.saw(*node, key);
    if (auto value = reader.boolean(*node, key)) policy.ordered = *value;
  }
  if (const auto* node = tunnel_node.find("buffer_resign")) {
    const auto key = join_key(path, "buffer_resign");
    seen.saw(*node, key);
    if (auto value = reader.boolean(*node, key)) resign = *value;
    tunnel.buffer_resign_at = node->at();
  }

  if (!valid) return;
  if (!policy.enabled()) {
    if (seen.node != nullptr) {
      reader.warning(*seen.node, seen.key,
                     "has no effect without buffer: offline or always on this tunnel; add it or "
                     "remove the buffer_* keys");
    }
    return;
  }
  tunnel.buffer = policy;
  tunnel.buffer_resign = resign;
}

}  // namespace relay::config::detail
