#include <gtest/gtest.h>

#include "edge/acme/certificate_manager.hpp"

namespace relay::edge::acme {
namespace {

using namespace std::chrono_literals;
using core::Clock;

const Clock::time_point kStart = core::from_unix_seconds(1'800'000'000);

TEST(AcmeCertificateManager, OrdersOnlyOwnedNames) {
  CertificateManager m({.orders_per_hour = 10, .renew_before = 720h, .failure_backoff = 600s});
  EXPECT_EQ(m.decide("stranger.relay.test", false, std::nullopt, kStart), OrderDecision::not_owned);
  EXPECT_EQ(m.decide("mine.relay.test", true, std::nullopt, kStart), OrderDecision::start);
}

TEST(AcmeCertificateManager, OneOrderPerHostAtATime) {
  CertificateManager m({.orders_per_hour = 10, .renew_before = 720h, .failure_backoff = 600s});
  EXPECT_EQ(m.decide("a", true, std::nullopt, kStart), OrderDecision::start);
  EXPECT_EQ(m.decide("a", true, std::nullopt, kStart + 1s), OrderDecision::in_progress);
  m.finished("a", true, kStart + 2s);
  EXPECT_EQ(m.decide("a", true, kStart + 90 * 24h, kStart + 3s), OrderDecision::fresh);
}

TEST(AcmeCertificateManager, RateLimitCountsOrdersInTheLastHour) {
  CertificateManager m({.orders_per_hour = 2, .renew_before = 720h, .failure_backoff = 600s});
  EXPECT_EQ(m.decide("a", true, std::nullopt, kStart), OrderDecision::start);
  EXPECT_EQ(m.decide("b", true, std::nullopt, kStart + 10min), OrderDecision::start);
  EXPECT_EQ(m.decide("c", true, std::nullopt, kStart + 20min), OrderDecision::rate_limited);
  EXPECT_EQ(m.decide("c", true, std::nullopt, kStart + 59min), OrderDecision::rate_limited);
  // The first order leaves the window after an hour.
  EXPECT_EQ(m.decide("c", true, std::nullopt, kStart + 60min), OrderDecision::start);
  EXPECT_EQ(m.decide("d", true, std::nullopt, kStart + 61min), OrderDecision::rate_limited);
}

TEST(AcmeCertificateManager, ZeroOrdersPerHourNeverOrders) {
  CertificateManager m({.orders_per_hour = 0, .renew_before = 720h, .failure_backoff = 600s});
  EXPECT_EQ(m.decide("a", true, std::nullopt, kStart), OrderDecision::rate_limited);
}

TEST(AcmeCertificateManager, FailedOrderBacksOffForThatHost) {
  CertificateManager m({.orders_per_hour = 10, .renew_before = 720h, .failure_backoff = 600s});
  EXPECT_EQ(m.decide("a", true, std::nullopt, kStart), OrderDecision::start);
  m.finished("a", false, kStart + 5s);
  EXPECT_EQ(m.decide("a", true, std::nullopt, kStart + 6s), OrderDecision::backing_off);
  EXPECT_EQ(m.decide("b", true, std::nullopt, kStart + 6s), OrderDecision::start);
  EXPECT_EQ(m.decide("a", true, std::nullopt, kStart + 5s + 600s), OrderDecision::start);
}

TEST(AcmeCertificateManager, RenewsThirtyDaysBeforeExpiry) {
  CertificateManager m({.orders_per_hour = 10, .renew_before = 720h, .failure_backoff = 600s});
  const auto not_after = kStart + 90 * 24h;  // a Let's Encrypt certificate issued at kStart
  EXPECT_FALSE(m.needs_certificate(not_after, kStart));
  EXPECT_FALSE(m.needs_certificate(not_after, not_after - 720h - 1s));
  EXPECT_TRUE(m.needs_certificate(not_after, not_after - 720h));
  EXPECT_TRUE(m.needs_certificate(not_after, not_after + 1s));
  EXPECT_TRUE(m.needs_certificate(std::nullopt, kStart));

  EXPECT_EQ(m.decide("a", true, not_after, kStart + 59 * 24h), OrderDecision::fresh);
  EXPECT_EQ(m.decide("a", true, not_after, kStart + 60 * 24h), OrderDecision::start);
  m.finished("a", true, kStart + 60 * 24h + 3s);
  // A name released since its certificate was issued is not renewed.
  EXPECT_EQ(m.decide("b", false, not_after, kStart + 61 * 24h), OrderDecision::not_owned);
}

}  // namespace
}  // namespace relay::edge::acme
