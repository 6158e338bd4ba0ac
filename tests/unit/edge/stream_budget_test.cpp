#include "edge/stream_budget.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relay::edge {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(StreamBudget, TryAcquireTakesOnlyAFreePlace) {
  asio::io_context io;
  StreamBudget budget(io.get_executor());
  auto a = budget.try_acquire(2);
  auto b = budget.try_acquire(2);
  auto c = budget.try_acquire(2);
  EXPECT_TRUE(a.valid());
  EXPECT_TRUE(b.valid());
  EXPECT_FALSE(c.valid());  // full: the caller waits in acquire() instead
  EXPECT_EQ(budget.in_use(), 2u);
  a.reset();
  EXPECT_EQ(budget.in_use(), 1u);
  EXPECT_TRUE(budget.try_acquire(2).valid());  // the temporary's place is released at once
  EXPECT_EQ(budget.in_use(), 1u);
}

TEST(StreamBudget, GrantsUpToTheLimitThenTimesOut) {
  asio::io_context io;
  StreamBudget budget(io.get_executor());
  std::vector<StreamBudget::Ticket> held;
  bool third_valid = true;
  steady_clock::duration waited{};
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        // Named, not temporaries, in co_await expressions (a GCC 12 coroutine bug).
        const std::function<std::size_t()> limit = [] { return std::size_t{2}; };
        const auto soon = steady_clock::now() + milliseconds(50);
        auto a = co_await budget.acquire(limit, soon);
        auto b = co_await budget.acquire(limit, soon);
        held.push_back(std::move(a));
        held.push_back(std::move(b));
        const auto start = steady_clock::now();
        const auto deadline = start + milliseconds(50);
        auto third = co_await budget.acquire(limit, deadline);
        waited = steady_clock::now() - start;
        third_valid = third.valid();
      },
      asio::detached);
  io.run();
  ASSERT_EQ(held.size(), 2u);
  EXPECT_TRUE(held[0].valid() && held[1].valid());
  EXPECT_FALSE(third_valid);
  EXPECT_GE(waited, milliseconds(45));
  EXPECT_EQ(budget.in_use(), 2u);
  EXPECT_EQ(budget.waiting(), 0u);
  held.clear();
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(StreamBudget, AReleaseWakesTheFirstWaiter) {
  asio::io_context io;
  StreamBudget budget(io.get_executor());
  const std::function<std::size_t()> limit = [] { return std::size_t{1}; };
  std::vector<int> order;
  StreamBudget::Ticket first;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const auto deadline = steady_clock::now() + milliseconds(10);
        first = co_await budget.acquire(limit, deadline);
      },
      asio::detached);
  io.run();
  io.restart();
  ASSERT_TRUE(first.valid());
  for (int i = 0; i < 2; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          const auto deadline = steady_clock::now() + std::chrono::seconds(5);
          auto t = co_await budget.acquire(limit, deadline);
          if (t.valid()) order.push_back(i);
          asio::steady_timer pause(io, milliseconds(5));
          co_await pause.async_wait(asio::use_awaitable);
        },
        asio::detached);
  }
  asio::steady_timer release(io, milliseconds(20));
  release.async_wait([&](auto) { first.reset(); });
  const auto start = steady_clock::now();
  io.run();
  EXPECT_EQ(order, (std::vector<int>{0, 1}));  // in order, each once the previous finished
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(budget.in_use(), 0u);
}

}  // namespace
}  // namespace relay::edge
