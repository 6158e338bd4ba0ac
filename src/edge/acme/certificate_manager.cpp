#include "edge/acme/certificate_manager.hpp"

namespace relay::edge::acme {

std::string_view to_string(OrderDecision decision) {
  switch (decision) {
    case OrderDecision::fresh:
      return "fresh";
    case OrderDecision::start:
      return "start";
    case OrderDecision::not_owned:
      return "not_owned";
    case OrderDecision::in_progress:
      return "in_progress";
    case OrderDecision::backing_off:
      return "backing_off";
    case OrderDecision::rate_limited:
      return "rate_limited";
  }
  return "unknown";
}

bool CertificateManager::needs_certificate(std::optional<core::Clock::time_point> not_after,
                                           core::Clock::time_point now) const {
  return !not_after || now >= *not_after - settings_.renew_before;
}

OrderDecision CertificateManager::decide(const std::string& host, bool owned,
                                         std::optional<core::Clock::time_point> not_after,
                                         core::Clock::time_point now) {
  if (!needs_certificate(not_after, now)) return OrderDecision::fresh;
  if (in_progress_.contains(host)) return OrderDecision::in_progress;
  if (!owned) return OrderDecision::not_owned;
  if (auto failed = failed_at_.find(host); failed != failed_at_.end()) {
    if (now < failed->second + settings_.failure_backoff) return OrderDecision::backing_off;
    failed_at_.erase(failed);
  }
  while (!started_.empty() && started_.front() <= now - std::chrono::hours(1)) {
    started_.pop_front();
  }
  if (started_.size() >= settings_.orders_per_hour) return OrderDecision::rate_limited;
  started_.push_back(now);
  in_progress_.insert(host);
  return OrderDecision::start;
}

void CertificateManager::finished(const std::string& host, bool succeeded,
                                  core::Clock::time_point now) {
  in_progress_.erase(host);
  if (succeeded) {
    failed_at_.erase(host);
  } else {
    failed_at_[host] = now;
  }
}

}  // namespace relay::edge::acme
