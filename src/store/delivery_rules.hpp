#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "relay/core/buffer_policy.hpp"
#include "relay/core/headers.hpp"

namespace relay::store::detail {

// What every DeliveryQueue implementation agrees on, so that the same contract tests pass on
// each.

// Why expire() dead-letters a delivery.
inline constexpr std::string_view kExpiredError =
    "expired: queued longer than the tunnel's buffer_ttl";

inline std::int64_t to_ms(std::chrono::seconds s) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(s).count();
}

// The dedupe window of an event a live request carried (remember_event has no policy): the
// window of the tunnel's last append or saved policy, else the default one.
inline std::int64_t default_dedupe_window_ms() { return to_ms(core::BufferPolicy{}.dedupe_window); }

inline std::string pseudo_header(const core::Headers& headers, std::string_view name) {
  auto value = headers.get(name);
  return value ? std::string(*value) : std::string();
}

}  // namespace relay::store::detail
