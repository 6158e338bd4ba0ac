#include "edge/route_cache.hpp"

#include <gtest/gtest.h>

namespace relay::edge::peer {
namespace {

using namespace std::chrono_literals;
using Clock = RouteCache::Clock;

TEST(RouteCache, RemembersForItsTtl) {
  RouteCache cache(1s);
  const auto t0 = Clock::time_point{} + 100s;
  EXPECT_FALSE(cache.find("shop", t0));
  cache.store("shop", {"edge-a", "edge-b"}, t0);
  auto hit = cache.find("shop", t0 + 999ms);
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit, (std::vector<std::string>{"edge-a", "edge-b"}));
  EXPECT_FALSE(cache.find("shop", t0 + 1s));
}

TEST(RouteCache, RemembersThatNobodyHoldsAName) {
  RouteCache cache(1s);
  const auto t0 = Clock::time_point{} + 100s;
  cache.store("ghost", {}, t0);
  auto hit = cache.find("ghost", t0);
  ASSERT_TRUE(hit);
  EXPECT_TRUE(hit->empty());
}

TEST(RouteCache, StaysBounded) {
  RouteCache cache(1s, 4);
  const auto t0 = Clock::time_point{} + 100s;
  for (int i = 0; i < 4; ++i) cache.store("n" + std::to_string(i), {"e"}, t0);
  cache.store("late", {"e"}, t0 + 2s);  // the four expired ones go
  EXPECT_EQ(cache.size(), 1u);
  for (int i = 0; i < 10; ++i) cache.store("m" + std::to_string(i), {"e"}, t0 + 2s);
  EXPECT_LE(cache.size(), 4u);
}

}  // namespace
}  // namespace relay::edge::peer
