#include "relay/core/buffer_policy.hpp"

namespace relay::core {

std::string_view to_string(BufferMode mode) {
  switch (mode) {
    case BufferMode::offline:
      return "offline";
    case BufferMode::always:
      return "always";
    case BufferMode::off:
      break;
  }
  return "off";
}

std::optional<BufferMode> parse_buffer_mode(std::string_view text) {
  if (text == "off") return BufferMode::off;
  if (text == "offline") return BufferMode::offline;
  if (text == "always") return BufferMode::always;
  return std::nullopt;
}

std::string_view buffer_policy_error(const BufferPolicy& p) {
  using B = BufferPolicyBounds;
  if (p.ttl.count() < 1 || p.ttl > B::kMaxTtl) return "buffer_ttl must be between 1s and 720h";
  if (p.max_events < 1 || p.max_events > B::kMaxEvents) {
    return "buffer_max must be between 1 and 10000000 events";
  }
  if (p.status < 200 || p.status > 299) return "buffer_status must be a 2xx status (200-299)";
  if (p.concurrency < 1 || p.concurrency > B::kMaxConcurrency) {
    return "buffer_concurrency must be between 1 and 64";
  }
  if (p.dedupe_window.count() < 0 || p.dedupe_window > B::kMaxDedupeWindow) {
    return "buffer_dedupe_window must be between 0s and 720h";
  }
  return {};
}

}  // namespace relay::core
