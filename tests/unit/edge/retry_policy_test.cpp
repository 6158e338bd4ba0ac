#include "edge/retry_policy.hpp"

#include <gtest/gtest.h>

namespace relay::edge {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A random source that always gives `value`: the jitter is then value % (ceiling + 1).
RandomSource constant(std::uint64_t value) {
  return [value] { return value; };
}
// A draw of one second (within every ceiling).
const RandomSource kOneSecond = constant(1000);

constexpr std::int64_t kNow = 1'765'000'000'000;
constexpr std::int64_t kFarFuture = kNow + 72LL * 3600 * 1000;

TEST(RetryPolicy, ClassifiesStatuses) {
  EXPECT_EQ(classify(200), AttemptOutcome::delivered);
  EXPECT_EQ(classify(204), AttemptOutcome::delivered);
  EXPECT_EQ(classify(299), AttemptOutcome::delivered);
  for (int status : {0, 408, 429, 500, 502, 503, 504, 599}) {
    EXPECT_EQ(classify(status), AttemptOutcome::retry) << status;
  }
  for (int status : {100, 301, 304, 400, 401, 403, 404, 409, 413, 422, 499, 600}) {
    EXPECT_EQ(classify(status), AttemptOutcome::dead) << status;
  }
}

TEST(RetryPolicy, BackoffCeilingDoublesFromOneSecondUpToTenMinutes) {
  EXPECT_EQ(backoff_ceiling(1), milliseconds(1000));
  EXPECT_EQ(backoff_ceiling(2), milliseconds(2000));
  EXPECT_EQ(backoff_ceiling(3), milliseconds(4000));
  EXPECT_EQ(backoff_ceiling(10), milliseconds(512'000));
  EXPECT_EQ(backoff_ceiling(11), milliseconds(600'000));
  EXPECT_EQ(backoff_ceiling(1000), milliseconds(600'000));
  EXPECT_EQ(backoff_ceiling(0), milliseconds(1000));
  EXPECT_EQ(backoff_ceiling(-5), milliseconds(1000));
}

TEST(RetryPolicy, FullJitterSpansZeroToTheCeiling) {
  EXPECT_EQ(full_jitter(3, constant(0)), milliseconds(0));
  EXPECT_EQ(full_jitter(3, constant(4000)), milliseconds(4000));
  EXPECT_EQ(full_jitter(3, constant(4001)), milliseconds(0));
  EXPECT_EQ(full_jitter(3, constant(1234)), milliseconds(1234));
  // Every draw stays inside [0, ceiling].
  std::uint64_t state = 42;
  const RandomSource lcg = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state;
  };
  milliseconds low{600'000};
  milliseconds high{0};
  for (int i = 0; i < 10'000; ++i) {
    auto d = full_jitter(12, lcg);
    low = std::min(low, d);
    high = std::max(high, d);
  }
  EXPECT_GE(low, milliseconds(0));
  EXPECT_LE(high, milliseconds(600'000));
  EXPECT_LT(low, milliseconds(10'000));  // spread over the whole range, not in a wave
  EXPECT_GT(high, milliseconds(590'000));
}

TEST(RetryPolicy, TwoXxIsDelivered) {
  auto d = decide({.status = 202}, 1, kNow, kFarFuture, kOneSecond);
  EXPECT_EQ(d.outcome, AttemptOutcome::delivered);
  EXPECT_TRUE(d.error.empty());
}

TEST(RetryPolicy, ServerErrorIsRetriedWithJitter) {
  auto d = decide({.status = 503}, 2, kNow, kFarFuture, constant(1500));
  EXPECT_EQ(d.outcome, AttemptOutcome::retry);
  EXPECT_EQ(d.retry_at_ms, kNow + 1500);
  EXPECT_EQ(d.error, "HTTP 503");
}

TEST(RetryPolicy, NoAnswerIsRetriedAndSaysWhy) {
  auto d = decide({.status = 0, .failure = "the agent's session ended during the attempt"}, 1, kNow,
                  kFarFuture, kOneSecond);
  EXPECT_EQ(d.outcome, AttemptOutcome::retry);
  EXPECT_EQ(d.retry_at_ms, kNow + 1000);
  EXPECT_EQ(d.error, "the agent's session ended during the attempt");
}

TEST(RetryPolicy, RetryAfterIsAFloor) {
  AttemptAnswer answer{.status = 429, .retry_after = seconds(2)};
  auto d = decide(answer, 1, kNow, kFarFuture, constant(0));
  EXPECT_EQ(d.outcome, AttemptOutcome::retry);
  EXPECT_EQ(d.retry_at_ms, kNow + 2000);
  // A longer jitter wins over a shorter Retry-After.
  answer.retry_after = seconds(1);
  d = decide(answer, 5, kNow, kFarFuture, constant(9000));
  EXPECT_EQ(d.retry_at_ms, kNow + 9000);
}

TEST(RetryPolicy, RetryPastTheTtlIsDeadAsExpired) {
  auto d = decide({.status = 500, .body_prefix = "boom"}, 4, kNow, kNow + 999, kOneSecond);
  EXPECT_EQ(d.outcome, AttemptOutcome::dead);
  EXPECT_EQ(d.error,
            "expired: queued longer than the tunnel's buffer_ttl (last attempt: HTTP 500: boom)");
  // Just inside: still a retry.
  d = decide({.status = 500}, 1, kNow, kNow + 1000, kOneSecond);
  EXPECT_EQ(d.outcome, AttemptOutcome::retry);
}

TEST(RetryPolicy, ClientErrorIsDeadWithCodeAndBody) {
  AttemptAnswer answer{.status = 403,
                       .error_code = "RELAY_SIGNATURE_INVALID",
                       .body_prefix = R"({"error":"signature mismatch"})"};
  auto d = decide(answer, 1, kNow, kFarFuture, kOneSecond);
  EXPECT_EQ(d.outcome, AttemptOutcome::dead);
  EXPECT_EQ(d.error, R"(HTTP 403 RELAY_SIGNATURE_INVALID: {"error":"signature mismatch"})");
}

TEST(RetryPolicy, ParsesRetryAfterSeconds) {
  EXPECT_EQ(parse_retry_after("2", kNow), milliseconds(2000));
  EXPECT_EQ(parse_retry_after(" 120 ", kNow), milliseconds(120'000));
  EXPECT_EQ(parse_retry_after("0", kNow), milliseconds(0));
  // Capped at a day, without overflowing on absurd values.
  EXPECT_EQ(parse_retry_after("99999999999999999999999", kNow), milliseconds(86'400'000));
  EXPECT_EQ(parse_retry_after("", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("-1", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("1.5", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("soon", kNow), std::nullopt);
}

TEST(RetryPolicy, ParsesRetryAfterHttpDate) {
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777 s.
  const std::int64_t at = 784'111'777'000;
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at - 5000), milliseconds(5000));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at + 5000), milliseconds(0));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 UTC", at), std::nullopt);
  EXPECT_EQ(parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", at), std::nullopt);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 25:49:37 GMT", at), std::nullopt);
}

TEST(RetryPolicy, PrintablePrefixKeepsUtf8AndCutsOnABoundary) {
  EXPECT_EQ(printable_prefix("plain", 300), "plain");
  EXPECT_EQ(printable_prefix("a\nb\tc\x01", 300), "a b c?");
  EXPECT_EQ(printable_prefix("caf\xc3\xa9", 300), "caf\xc3\xa9");
  EXPECT_EQ(printable_prefix("caf\xc3\xa9", 4), "caf");     // never half a character
  EXPECT_EQ(printable_prefix("caf\xc3", 300), "caf?");      // cut by the sender
  EXPECT_EQ(printable_prefix("\xff\xfe", 300), "??");       // not UTF-8
  EXPECT_EQ(printable_prefix("\xed\xa0\x80", 300), "???");  // a surrogate
  EXPECT_EQ(printable_prefix(std::string(400, 'x'), 300).size(), 300U);
}

}  // namespace
}  // namespace relay::edge
