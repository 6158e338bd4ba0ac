#include "edge/auth_failure_limiter.hpp"

#include <gtest/gtest.h>

namespace relay::edge {
namespace {

using namespace std::chrono_literals;
using TimePoint = AuthFailureLimiter::TimePoint;

const TimePoint kStart = TimePoint{} + 1000h;

AuthFailureLimits limits(std::size_t per_minute = 10) {
  AuthFailureLimits l;
  l.failures_per_minute = per_minute;
  l.block = 60s;
  l.max_block = 3600s;
  l.logged_per_minute = 5;
  l.logged_total_per_minute = 100;
  return l;
}

TEST(AuthFailureLimiter, BlocksAnAddressAfterTheLimitWithRetryAfter) {
  AuthFailureLimiter limiter(limits(10));
  for (int i = 0; i < 9; ++i) {
    EXPECT_FALSE(limiter.check("198.51.100.7", kStart).retry_after);
    EXPECT_FALSE(limiter.record_failure("198.51.100.7", kStart).retry_after) << i;
  }
  auto tenth = limiter.record_failure("198.51.100.7", kStart);
  ASSERT_TRUE(tenth.retry_after);
  EXPECT_TRUE(tenth.blocked_now);
  EXPECT_TRUE(tenth.log);
  EXPECT_EQ(*tenth.retry_after, 60s);
  auto next = limiter.check("198.51.100.7", kStart + 10s);
  ASSERT_TRUE(next.retry_after);
  EXPECT_EQ(*next.retry_after, 50s);
  EXPECT_FALSE(limiter.check("198.51.100.7", kStart + 60s).retry_after) << "the block ends";
}

TEST(AuthFailureLimiter, OtherAddressesAreNotAffected) {
  AuthFailureLimiter limiter(limits(3));
  for (int i = 0; i < 3; ++i) limiter.record_failure("127.0.0.1", kStart);
  EXPECT_TRUE(limiter.check("127.0.0.1", kStart).retry_after);
  EXPECT_FALSE(limiter.check("127.0.0.2", kStart).retry_after);
}

TEST(AuthFailureLimiter, FailuresSpreadOverMinutesDoNotBlock) {
  AuthFailureLimiter limiter(limits(10));
  for (int i = 0; i < 100; ++i) {
    auto d = limiter.record_failure("a", kStart + std::chrono::seconds(i * 7));  // ~8.6 a minute
    EXPECT_FALSE(d.retry_after) << i;
  }
}

TEST(AuthFailureLimiter, EachFurtherBlockDoublesUpToTheMaximum) {
  AuthFailureLimiter limiter(limits(2));
  auto now = kStart;
  std::vector<std::chrono::seconds> blocks;
  for (int round = 0; round < 8; ++round) {
    limiter.record_failure("a", now);
    auto d = limiter.record_failure("a", now);
    ASSERT_TRUE(d.retry_after);
    blocks.push_back(*d.retry_after);
    now += *d.retry_after;  // retried exactly when allowed
  }
  std::vector<std::chrono::seconds> expected{60s, 120s, 240s, 480s, 960s, 1920s, 3600s, 3600s};
  EXPECT_EQ(blocks, expected);
}

TEST(AuthFailureLimiter, ALongQuietSpellForgivesEarlierBlocks) {
  AuthFailureLimiter limiter(limits(2));
  limiter.record_failure("a", kStart);
  EXPECT_EQ(*limiter.record_failure("a", kStart).retry_after, 60s);
  const auto later = kStart + 60s + 3600s;
  limiter.record_failure("a", later);
  EXPECT_EQ(*limiter.record_failure("a", later).retry_after, 60s);
}

TEST(AuthFailureLimiter, LogLinesAreBoundedPerAddressAndSummarised) {
  AuthFailureLimiter limiter(limits(1000));
  int logged = 0;
  for (int i = 0; i < 200; ++i) logged += limiter.record_failure("a", kStart + 1ms * i).log;
  EXPECT_EQ(logged, 5);
  auto next_minute = limiter.record_failure("a", kStart + 61s);
  EXPECT_TRUE(next_minute.log);
  EXPECT_EQ(next_minute.suppressed, 195u) << "the unlogged ones are told once";
}

TEST(AuthFailureLimiter, BlockedAttemptsShareTheLogBudget) {
  AuthFailureLimiter limiter(limits(10));
  int logged = 0;
  for (int i = 0; i < 1500; ++i) {
    auto now = kStart + 1ms * i;
    auto d = limiter.check("a", now);
    if (!d.retry_after) d = limiter.record_failure("a", now);
    logged += d.log;
  }
  EXPECT_LE(logged, 6) << "5 lines a minute, plus the one that says the address is blocked";
}

TEST(AuthFailureLimiter, TotalLogBudgetBoundsManyAddresses) {
  auto l = limits(1000);
  l.logged_total_per_minute = 20;
  AuthFailureLimiter limiter(l);
  int logged = 0;
  for (int i = 0; i < 500; ++i) logged += limiter.record_failure(std::to_string(i), kStart).log;
  EXPECT_EQ(logged, 20);
  auto d = limiter.record_failure("x", kStart + 61s);
  EXPECT_EQ(d.suppressed_total, 480u);
}

TEST(AuthFailureLimiter, TrackedAddressesAreBounded) {
  auto l = limits(10);
  l.max_addresses = 100;
  AuthFailureLimiter limiter(l);
  for (int i = 0; i < 1000; ++i) limiter.record_failure(std::to_string(i), kStart + 1ms * i);
  EXPECT_LE(limiter.tracked(), 100u);
}

TEST(AuthFailureLimiter, ZeroDisablesTheBlock) {
  AuthFailureLimiter limiter(limits(0));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(limiter.record_failure("a", kStart).retry_after);
  EXPECT_FALSE(limiter.check("a", kStart).retry_after);
}

}  // namespace
}  // namespace relay::edge
