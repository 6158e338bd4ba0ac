#pragma once

#include <chrono>
#include <cstdint>

namespace relay::core {

// Wall clock for anything compared with timestamps from the outside world (webhook signatures,
// captures). Pure code takes `Clock::time_point now` as a parameter so tests can inject it.
using Clock = std::chrono::system_clock;

inline std::int64_t to_unix_seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline Clock::time_point from_unix_seconds(std::int64_t s) {
  return Clock::time_point{std::chrono::seconds{s}};
}

}  // namespace relay::core
