#include "relay/net/backoff.hpp"

#include <gtest/gtest.h>

namespace relay::net {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, CeilingDoublesFromInitialUpToTheCap) {
  Backoff b({.initial = milliseconds{250}, .max = milliseconds{30'000}}, 1);
  std::vector<std::int64_t> ceilings;
  for (int i = 0; i < 10; ++i) {
    ceilings.push_back(b.ceiling().count());
    (void)b.next();
  }
  EXPECT_EQ(ceilings, (std::vector<std::int64_t>{250, 500, 1000, 2000, 4000, 8000, 16000, 30000,
                                                 30000, 30000}));
  EXPECT_EQ(b.attempts(), 10);
}

TEST(Backoff, DelaysStayWithinZeroAndTheCeiling) {
  Backoff b({.initial = milliseconds{250}, .max = milliseconds{30'000}}, 42);
  for (int i = 0; i < 200; ++i) {
    auto bound = b.ceiling();
    auto d = b.next();
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d, bound);
  }
}

TEST(Backoff, FullJitterSpreadsOverTheWholeRange) {
  // At the cap every draw is uniform in [0, 30 s]: many draws cover both ends of the range.
  Backoff b({.initial = milliseconds{250}, .max = milliseconds{30'000}}, 7);
  for (int i = 0; i < 10; ++i) (void)b.next();
  std::int64_t lo = 1'000'000, hi = 0;
  for (int i = 0; i < 2000; ++i) {
    auto d = b.next().count();
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, 1'000);
  EXPECT_GT(hi, 29'000);
  EXPECT_LE(hi, 30'000);
}

TEST(Backoff, SameSeedSameSequence) {
  Backoff a({}, 99), b({}, 99);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(a.next(), b.next());
}

TEST(Backoff, ResetStartsOver) {
  Backoff b({}, 3);
  for (int i = 0; i < 6; ++i) (void)b.next();
  EXPECT_GT(b.ceiling(), milliseconds{250});
  b.reset();
  EXPECT_EQ(b.ceiling(), milliseconds{250});
  EXPECT_EQ(b.attempts(), 0);
}

TEST(Backoff, OnlyALongLivedSessionResets) {
  Backoff b({.initial = milliseconds{250},
             .max = milliseconds{30'000},
             .reset_after = milliseconds{30'000}},
            5);
  for (int i = 0; i < 4; ++i) (void)b.next();
  b.session_ended(std::chrono::seconds{5});  // a flapping session keeps backing off
  EXPECT_EQ(b.ceiling(), milliseconds{4000});
  b.session_ended(std::chrono::seconds{31});
  EXPECT_EQ(b.ceiling(), milliseconds{250});
}

TEST(Backoff, CapSmallerThanInitialIsClamped) {
  Backoff b({.initial = milliseconds{500}, .max = milliseconds{100}}, 1);
  for (int i = 0; i < 5; ++i) EXPECT_LE(b.next(), milliseconds{500});
  EXPECT_EQ(b.ceiling(), milliseconds{500});
}

}  // namespace
}  // namespace relay::net
