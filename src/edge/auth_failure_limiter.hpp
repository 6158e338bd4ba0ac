#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

namespace relay::edge {

struct AuthFailureLimits {
  // Wrong or missing authtokens an address may present per minute; the next attempt is refused
  // with 429 (the token is not even checked) for `block`. 0: no limit.
  std::size_t failures_per_minute = 10;
  // The first block; each further block of the same address doubles it, up to `max_block`.
  std::chrono::seconds block{60};
  std::chrono::seconds max_block{3600};
  // Log lines for failed attempts, per address and per minute; the rest are counted and told
  // in one summary line. `logged_total_per_minute` bounds all addresses together.
  std::size_t logged_per_minute = 5;
  std::size_t logged_total_per_minute = 100;
  // Addresses tracked at once (memory bound): when full, the longest-quiet one is forgotten.
  std::size_t max_addresses = 65'536;
};

// Counts failed agent authentications per client address and decides when to refuse an address
// outright, and which of its failures to log. Pure: time is a parameter (tests inject it), the
// caller answers and logs. Single-threaded, like the rest of the edge.
class AuthFailureLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit AuthFailureLimiter(AuthFailureLimits limits);

  struct Decision {
    // Set: the address is blocked; refuse with 429 and this Retry-After (at least 1 s).
    std::optional<std::chrono::seconds> retry_after;
    // This failure blocked the address (record_failure only): worth its own log line.
    bool blocked_now = false;
    // Log this attempt (within the per-address and the total budget).
    bool log = false;
    // Attempts of this address left unlogged in its previous minute, or of all addresses
    // (`suppressed_total`) in the previous minute: log one summary line each when non-zero.
    std::size_t suppressed = 0;
    std::size_t suppressed_total = 0;
  };

  // Before the token is checked: is the address blocked? A blocked attempt is counted for the
  // log budget, not as a failure (the token is never looked at).
  Decision check(const std::string& address, TimePoint now);
  // After a wrong or missing token.
  Decision record_failure(const std::string& address, TimePoint now);

  [[nodiscard]] std::size_t tracked() const { return entries_.size(); }

 private:
  struct Entry {
    TimePoint window_start{};
    std::size_t failures = 0;  // in the current window
    std::size_t logged = 0;    // lines in the current window
    std::size_t suppressed = 0;
    TimePoint blocked_until{};
    int strikes = 0;  // blocks so far: the next one lasts block * 2^strikes
    TimePoint last_seen{};
  };

  Entry& entry(const std::string& address, TimePoint now, Decision& decision);
  void roll_windows(Entry& e, TimePoint now, Decision& decision);
  void consume_log(Entry& e, Decision& decision);
  void make_room(TimePoint now);
  [[nodiscard]] std::chrono::seconds block_for(int strikes) const;

  AuthFailureLimits limits_;
  std::unordered_map<std::string, Entry> entries_;
  TimePoint total_window_start_{};
  std::size_t total_logged_ = 0;
  std::size_t total_suppressed_ = 0;
};

}  // namespace relay::edge
