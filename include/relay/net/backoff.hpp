#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace relay::net {

struct BackoffOptions {
  std::chrono::milliseconds initial{250};
  std::chrono::milliseconds max{30'000};
  // A session that lived this long was healthy: the next failure starts over from `initial`.
  std::chrono::milliseconds reset_after{30'000};
};

// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
// Jitter"): the n-th delay is uniform in [0, min(max, initial * 2^n)]. Full jitter spreads a
// crowd of agents that lost the same edge at once, so they do not reconnect in lock step.
// Pure state: the caller sleeps.
class Backoff {
 public:
  explicit Backoff(BackoffOptions options = {}, std::uint64_t seed = std::random_device{}());

  // The delay before the next attempt; each call raises the ceiling until it reaches `max`.
  std::chrono::milliseconds next();
  // The upper bound the next call to next() draws from.
  [[nodiscard]] std::chrono::milliseconds ceiling() const;
  [[nodiscard]] int attempts() const { return attempts_; }

  void reset() { attempts_ = 0; }
  // Resets when the session that just ended lived longer than `reset_after`.
  void session_ended(std::chrono::steady_clock::duration lived);

 private:
  BackoffOptions options_;
  int attempts_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace relay::net
