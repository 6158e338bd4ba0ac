#include "edge/per_ip_counter.hpp"

#include <gtest/gtest.h>

namespace relay::edge {
namespace {

const auto kA = boost::asio::ip::make_address("192.0.2.1");
const auto kB = boost::asio::ip::make_address("2001:db8::1");

TEST(PerIpCounter, CapsEachAddressSeparately) {
  PerIpCounter counter(2, 0);
  auto a1 = counter.try_acquire(kA);
  auto a2 = counter.try_acquire(kA);
  ASSERT_TRUE(a1 && a2);
  EXPECT_FALSE(counter.try_acquire(kA));
  EXPECT_TRUE(counter.try_acquire(kB));  // another address is not affected
  EXPECT_EQ(counter.count(kA), 2u);
}

TEST(PerIpCounter, ReleasingASlotMakesRoomAgain) {
  PerIpCounter counter(1, 0);
  auto slot = counter.try_acquire(kA);
  ASSERT_TRUE(slot);
  EXPECT_FALSE(counter.try_acquire(kA));
  slot->reset();
  EXPECT_TRUE(counter.try_acquire(kA));
}

TEST(PerIpCounter, AnAddressLeavesTheTableAtZero) {
  PerIpCounter counter(10, 0);
  {
    auto a = counter.try_acquire(kA);
    auto b = counter.try_acquire(kB);
    EXPECT_EQ(counter.addresses(), 2u);
    EXPECT_EQ(counter.total(), 2u);
  }
  EXPECT_EQ(counter.addresses(), 0u);
  EXPECT_EQ(counter.total(), 0u);
  // A refused attempt leaves nothing behind either.
  PerIpCounter full(10, 1);
  auto held = full.try_acquire(kA);
  EXPECT_FALSE(full.try_acquire(kB));
  EXPECT_EQ(full.addresses(), 1u);
}

TEST(PerIpCounter, TotalCapAppliesToAllAddresses) {
  PerIpCounter counter(0, 2);  // no per-address cap
  auto a = counter.try_acquire(kA);
  auto b = counter.try_acquire(kB);
  EXPECT_FALSE(counter.try_acquire(boost::asio::ip::make_address("192.0.2.3")));
}

TEST(PerIpCounter, ZeroMeansUnlimited) {
  PerIpCounter counter(0, 0);
  std::vector<PerIpCounter::Slot> slots;
  for (int i = 0; i < 1000; ++i) {
    auto slot = counter.try_acquire(kA);
    ASSERT_TRUE(slot);
    slots.push_back(std::move(*slot));
  }
  EXPECT_EQ(counter.count(kA), 1000u);
  slots.clear();
  EXPECT_EQ(counter.addresses(), 0u);
}

TEST(PerIpCounter, MovedSlotReleasesOnce) {
  PerIpCounter counter(1, 0);
  auto slot = counter.try_acquire(kA);
  PerIpCounter::Slot moved = std::move(*slot);
  slot.reset();
  EXPECT_EQ(counter.count(kA), 1u);
  moved.reset();
  EXPECT_EQ(counter.count(kA), 0u);
}

}  // namespace
}  // namespace relay::edge
