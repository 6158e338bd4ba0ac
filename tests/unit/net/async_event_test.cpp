#include "relay/net/async_event.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relay::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(AsyncEvent, NotifyBeforeWaitIsNotLost) {
  asio::io_context io;
  AsyncEvent event(io.get_executor());
  event.notify();
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await event.wait();
        done = true;
      },
      asio::detached);
  io.run_for(1s);
  EXPECT_TRUE(done);
}

TEST(AsyncEvent, WaiterResumesAfterNotifyNeverInsideIt) {
  asio::io_context io;
  AsyncEvent event(io.get_executor());
  int resumed = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
          co_await event.wait();
          ++resumed;
        }
      },
      asio::detached);
  io.poll();
  EXPECT_EQ(resumed, 0);
  for (int i = 1; i <= 3; ++i) {
    event.notify();
    EXPECT_EQ(resumed, i - 1) << "resumed inside notify()";
    io.poll();
    EXPECT_EQ(resumed, i);
  }
}

// The H2 session's loops and the inspector's event stream race a wait against other work.
TEST(AsyncEvent, WaitLosingARaceIsCancelledAndTheEventStaysUsable) {
  using namespace asio::experimental::awaitable_operators;
  asio::io_context io;
  AsyncEvent event(io.get_executor());
  std::optional<std::size_t> winner;
  bool second_wait = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(io, 10ms);
        auto result = co_await (event.wait() || timer.async_wait(asio::use_awaitable));
        winner = result.index();
        co_await event.wait();
        second_wait = true;
      },
      asio::detached);
  io.run_for(200ms);
  ASSERT_EQ(winner, 1U);
  EXPECT_FALSE(second_wait);
  event.notify();
  io.restart();
  io.poll();
  EXPECT_TRUE(second_wait);
}

}  // namespace
}  // namespace relay::net
