#include "edge/auth_failure_limiter.hpp"

#include <algorithm>
#include <utility>

namespace relay::edge {

namespace {
constexpr std::chrono::seconds kWindow{60};

std::chrono::seconds ceil_seconds(std::chrono::steady_clock::duration d) {
  return std::max(std::chrono::seconds{1}, std::chrono::ceil<std::chrono::seconds>(d));
}
}  // namespace

AuthFailureLimiter::AuthFailureLimiter(AuthFailureLimits limits) : limits_(limits) {
  if (limits_.block.count() < 1) limits_.block = std::chrono::seconds{1};
  limits_.max_block = std::max(limits_.max_block, limits_.block);
  limits_.max_addresses = std::max<std::size_t>(limits_.max_addresses, 1);
}

std::chrono::seconds AuthFailureLimiter::block_for(int strikes) const {
  auto block = limits_.block;
  for (int i = 0; i < strikes && block < limits_.max_block; ++i) block *= 2;
  return std::min(block, limits_.max_block);
}

void AuthFailureLimiter::roll_windows(Entry& e, TimePoint now, Decision& decision) {
  if (now - e.window_start >= kWindow) {
    decision.suppressed = std::exchange(e.suppressed, 0);
    e.window_start = now;
    e.failures = 0;
    e.logged = 0;
  }
  if (now - total_window_start_ >= kWindow) {
    decision.suppressed_total = std::exchange(total_suppressed_, 0);
    total_window_start_ = now;
    total_logged_ = 0;
  }
}

void AuthFailureLimiter::consume_log(Entry& e, Decision& decision) {
  if (e.logged < limits_.logged_per_minute && total_logged_ < limits_.logged_total_per_minute) {
    ++e.logged;
    ++total_logged_;
    decision.log = true;
  } else {
    ++e.suppressed;
    ++total_suppressed_;
  }
}

void AuthFailureLimiter::make_room(TimePoint now) {
  if (entries_.size() < limits_.max_addresses) return;
  // First the addresses nothing is remembered for any more: quiet for a window, and (if ever
  // blocked) past the quiet spell that forgives their blocks.
  std::erase_if(entries_, [&](const auto& kv) {
    const Entry& e = kv.second;
    return now - e.last_seen >= kWindow &&
           (e.strikes == 0 || now - e.blocked_until >= limits_.max_block);
  });
  if (entries_.size() < limits_.max_addresses) return;
  auto oldest = std::min_element(
      entries_.begin(), entries_.end(),
      [](const auto& a, const auto& b) { return a.second.last_seen < b.second.last_seen; });
  entries_.erase(oldest);
}

AuthFailureLimiter::Entry& AuthFailureLimiter::entry(const std::string& address, TimePoint now,
                                                     Decision& decision) {
  auto it = entries_.find(address);
  if (it == entries_.end()) {
    make_room(now);
    it = entries_.emplace(address, Entry{}).first;
    it->second.window_start = now;
  }
  Entry& e = it->second;
  // A quiet spell as long as the longest block, after the last block, forgives the earlier ones.
  if (e.strikes > 0 && now - e.blocked_until >= limits_.max_block) {
    e.strikes = 0;
  }
  e.last_seen = now;
  roll_windows(e, now, decision);
  return e;
}

AuthFailureLimiter::Decision AuthFailureLimiter::check(const std::string& address, TimePoint now) {
  Decision decision;
  if (limits_.failures_per_minute == 0) return decision;
  auto it = entries_.find(address);
  if (it == entries_.end() || now >= it->second.blocked_until) return decision;
  Entry& e = entry(address, now, decision);
  decision.retry_after = ceil_seconds(e.blocked_until - now);
  consume_log(e, decision);
  return decision;
}

AuthFailureLimiter::Decision AuthFailureLimiter::record_failure(const std::string& address,
                                                                TimePoint now) {
  Decision decision;
  Entry& e = entry(address, now, decision);
  consume_log(e, decision);
  if (limits_.failures_per_minute == 0) return decision;
  if (++e.failures >= limits_.failures_per_minute) {
    const auto block = block_for(e.strikes);
    ++e.strikes;
    e.blocked_until = now + block;
    e.failures = 0;
    decision.retry_after = block;
    decision.blocked_now = true;
    decision.log = true;  // one line per block, whatever the budget: it says what happened
  }
  return decision;
}

}  // namespace relay::edge
