#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "relay/core/clock.hpp"

namespace relay::edge::acme {

// What a TLS handshake (or the renewal timer) asking for `host` leads to.
enum class OrderDecision {
  fresh,         // the stored certificate is good for more than renew_before: nothing to do
  start,         // start an order now (a first certificate, or a renewal)
  not_owned,     // no tunnel owns the name: a stranger cannot make the edge ask a CA for it
  in_progress,   // an order for it is running
  backing_off,   // its last order failed recently
  rate_limited,  // orders_per_hour orders started in the last hour
};
std::string_view to_string(OrderDecision decision);

struct ManagerSettings {
  std::size_t orders_per_hour = 10;               // over all hosts; 0: no orders at all
  std::chrono::hours renew_before{30 * 24};       // renew this long before notAfter
  std::chrono::seconds failure_backoff{10 * 60};  // after a failed order, for that host
};

// The on-demand policy, pure: no I/O, the clock passed in, so tests drive it through hours and
// months. Single-threaded (the edge's io thread).
class CertificateManager {
 public:
  explicit CertificateManager(ManagerSettings settings) : settings_(settings) {}

  // `not_after`: the stored certificate's expiry, if there is one. `owned`: whether a tunnel
  // name owns the host (asked only when it matters; see needs_certificate). A `start` answer
  // counts against the rate limit and marks the host in progress until finished().
  OrderDecision decide(const std::string& host, bool owned,
                       std::optional<core::Clock::time_point> not_after,
                       core::Clock::time_point now);
  void finished(const std::string& host, bool succeeded, core::Clock::time_point now);

  // True when a certificate expiring at `not_after` is due for renewal (or missing).
  [[nodiscard]] bool needs_certificate(std::optional<core::Clock::time_point> not_after,
                                       core::Clock::time_point now) const;
  [[nodiscard]] const ManagerSettings& settings() const { return settings_; }

 private:
  ManagerSettings settings_;
  std::deque<core::Clock::time_point> started_;  // order starts in the last hour, oldest first
  std::set<std::string, std::less<>> in_progress_;
  std::map<std::string, core::Clock::time_point, std::less<>> failed_at_;
};

}  // namespace relay::edge::acme
