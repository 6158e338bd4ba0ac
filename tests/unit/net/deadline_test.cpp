#include "relay/net/deadline.hpp"

#include <chrono>
#include <memory>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace relay::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(Deadline, RunsTheActionOnceItsTimeHasPassed) {
  asio::io_context io;
  Deadline deadline(io.get_executor());
  int runs = 0;
  const auto start = Clock::now();
  Clock::time_point ran;
  deadline.arm(20ms, [&] {
    ++runs;
    ran = Clock::now();
  });
  EXPECT_FALSE(deadline.expired());
  io.run();
  EXPECT_EQ(runs, 1);
  EXPECT_GE(ran - start, 20ms);
  EXPECT_TRUE(deadline.expired());
}

TEST(Deadline, DisarmedBeforeItsTimeRunsNothing) {
  asio::io_context io;
  Deadline deadline(io.get_executor());
  int runs = 0;
  deadline.arm(20ms, [&] { ++runs; });
  deadline.disarm();
  io.run();  // the lazy wait still completes, and does nothing
  EXPECT_EQ(runs, 0);
  EXPECT_FALSE(deadline.expired());
}

TEST(Deadline, RearmedLaterRunsOnlyTheLatestActionAtTheLatestTime) {
  asio::io_context io;
  Deadline deadline(io.get_executor());
  int first = 0;
  int second = 0;
  const auto start = Clock::now();
  Clock::time_point ran;
  deadline.arm(20ms, [&] { ++first; });
  deadline.arm(80ms, [&] {
    ++second;
    ran = Clock::now();
  });
  io.run();
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
  EXPECT_GE(ran - start, 80ms);
}

TEST(Deadline, RearmedEarlierMovesTheTimerForward) {
  asio::io_context io;
  Deadline deadline(io.get_executor());
  int first = 0;
  int second = 0;
  const auto start = Clock::now();
  deadline.arm(30s, [&] { ++first; });
  deadline.arm(20ms, [&] { ++second; });
  io.run();  // returns at once after the action: the 30 s wait was cancelled, not left behind
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
  EXPECT_LT(Clock::now() - start, 10s);
}

TEST(Deadline, RearmingLaterCostsNoTimerOperation) {
  asio::io_context io;
  Deadline deadline(io.get_executor());
  int runs = 0;
  for (int i = 0; i < 1000; ++i) deadline.arm(20ms + i * 10us, [&] { ++runs; });
  // io_context::run() counts the handlers it ran: the first wait, then one for the remainder.
  // Re-arming eagerly would have aborted (and run) 999 superseded waits.
  const auto handlers = io.run();
  EXPECT_EQ(runs, 1);
  EXPECT_LE(handlers, 3U);
}

TEST(Deadline, CanBeArmedAgainFromItsOwnAction) {
  asio::io_context io;
  Deadline deadline(io.get_executor());
  int runs = 0;
  std::function<void()> action = [&] {
    if (++runs < 3) deadline.arm(5ms, action);
  };
  deadline.arm(5ms, action);
  io.run();
  EXPECT_EQ(runs, 3);
  EXPECT_TRUE(deadline.expired());
}

TEST(Deadline, ArmingAgainClearsExpired) {
  asio::io_context io;
  Deadline deadline(io.get_executor());
  deadline.arm(1ms, [] {});
  io.run();
  ASSERT_TRUE(deadline.expired());
  deadline.arm(1h, [] {});
  EXPECT_FALSE(deadline.expired());
}

TEST(Deadline, DestroyedWhileArmedRunsNothingAndLeavesNoWait) {
  asio::io_context io;
  auto deadline = std::make_unique<Deadline>(io.get_executor());
  int runs = 0;
  deadline->arm(30s, [&] { ++runs; });
  deadline.reset();
  const auto start = Clock::now();
  io.run();  // the cancelled wait completes at once
  EXPECT_EQ(runs, 0);
  EXPECT_LT(Clock::now() - start, 10s);
}

TEST(Deadline, DestroyedWithItsHandlerAlreadyQueuedRunsNothing) {
  asio::io_context io;
  auto deadline = std::make_unique<Deadline>(io.get_executor());
  int runs = 0;
  deadline->arm(1ms, [&] { ++runs; });
  // The timer expires while the first handler sleeps; its completion is queued behind the
  // second, which destroys the deadline: cancel() can no longer stop that completion.
  asio::post(io, [] { std::this_thread::sleep_for(30ms); });
  asio::post(io, [&] { deadline.reset(); });
  io.run();
  EXPECT_EQ(runs, 0);
}

TEST(Deadline, MayBeDestroyedByItsOwnAction) {
  asio::io_context io;
  auto deadline = std::make_unique<Deadline>(io.get_executor());
  int runs = 0;
  deadline->arm(1ms, [&] {
    ++runs;
    deadline.reset();
  });
  io.run();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(deadline, nullptr);
}

}  // namespace
}  // namespace relay::net
