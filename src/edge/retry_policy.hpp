#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace relay::edge {

// Now, in Unix ms (the queue's time base).
inline std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What one delivery attempt got back from the agent (docs/delivery.md, "Retries"): an HTTP
// answer (the app's, or the agent's own error with Relay-Error-Code), or none at all.
struct AttemptAnswer {
  int status = 0;           // 0: no HTTP answer (stream refused or reset, session lost, timeout)
  std::string failure;      // status 0: what happened, for last_error
  std::string error_code;   // the answer's Relay-Error-Code, "" none
  std::string body_prefix;  // the first bytes of the answer's body (kBodyPrefixBytes at most)
  // The answer's Retry-After (429, 503), already turned into a delay.
  std::optional<std::chrono::milliseconds> retry_after;
};

// How much of an answer's body a dead letter keeps: enough for the agent's JSON error (a bad
// signature's verdict), little enough for a list.
inline constexpr std::size_t kBodyPrefixBytes = 300;

enum class AttemptOutcome {
  delivered,  // 2xx: ack
  retry,      // no answer, 408, 429, 5xx: nack with a retry time (or dead when past the ttl)
  dead,       // anything else (another 4xx, a 3xx, a 1xx): dead-lettered at once
};

AttemptOutcome classify(int status);

// Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): a delay drawn
// uniformly from [0, min(10 min, 1 s * 2^(attempt-1))], so that many deliveries failing together
// (an app restarting) come back spread out instead of in waves. `attempt` is 1-based (the
// attempt that just failed). `random` gives uniformly distributed 64-bit values.
using RandomSource = std::function<std::uint64_t()>;
inline constexpr std::chrono::milliseconds kBackoffBase{1000};
inline constexpr std::chrono::milliseconds kBackoffCap{600'000};
std::chrono::milliseconds backoff_ceiling(int attempt);
std::chrono::milliseconds full_jitter(int attempt, const RandomSource& random);

// The verdict on one attempt: what the scheduler tells the queue.
struct AttemptDecision {
  AttemptOutcome outcome = AttemptOutcome::retry;
  std::int64_t retry_at_ms = 0;  // retry: when
  std::string error;             // retry and dead: last_error ("" when delivered)
};

// `attempt` is the attempt just made (1-based); times are Unix ms. A retry whose time falls
// past `expires_at_ms` is dead instead ("expired: ..."): the ttl is a promise to the provider
// as much as to the app, and waiting past it serves nobody.
AttemptDecision decide(const AttemptAnswer& answer, int attempt, std::int64_t now_ms,
                       std::int64_t expires_at_ms, const RandomSource& random);

// A Retry-After value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date (IMF-fixdate), as a
// delay from `now_ms` (0 for a date in the past), capped at a day. nullopt when it is neither.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::int64_t now_ms);

// What last_error says about an answer: "HTTP 503", "HTTP 403 RELAY_SIGNATURE_INVALID: {...}",
// or the failure of an attempt without one. Printable UTF-8 only (it ends up in JSON).
std::string describe(const AttemptAnswer& answer);

// `bytes` cut to at most `max` bytes on a UTF-8 boundary, invalid bytes and control characters
// replaced by '?' (a body is anything; last_error goes into JSON and logs).
std::string printable_prefix(std::string_view bytes, std::size_t max);

}  // namespace relay::edge
