#include "agent/upstream_connection.hpp"

#include <array>
#include <chrono>
#include <memory>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace relay::agent {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// A connection to an "app" on a loopback socket of the same io_context: the deadline's contract
// is beast::tcp_stream's, which it replaced (only time with an operation pending counts).
class UpstreamConnectionTest : public ::testing::Test {
 protected:
  UpstreamConnectionTest() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    connection_ = std::make_unique<UpstreamConnection>(io_.get_executor());
    connection_->tcp = std::make_unique<UpstreamConnection::Socket>(io_);
    connection_->tcp->connect(acceptor_.local_endpoint());
    app_ = acceptor_.accept();
  }

  // Reads one byte from the app with a deadline of `limit`; returns the error, as
  // timed_out_or() reports it.
  asio::awaitable<core::error_code> read_one(std::chrono::milliseconds limit) {
    std::array<char, 1> byte{};
    connection_->expires_after(limit);
    auto [ec, n] = co_await connection_->tcp->async_read_some(asio::buffer(byte), kUseTuple);
    connection_->expires_never();
    co_return connection_->timed_out_or(ec);
  }

  asio::awaitable<void> sleep(std::chrono::milliseconds d) {
    asio::steady_timer timer(io_, d);
    co_await timer.async_wait(kUseTuple);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  tcp::socket app_{io_};
  std::unique_ptr<UpstreamConnection> connection_;
};

TEST_F(UpstreamConnectionTest, AReadThatOutlastsItsDeadlineFailsAsTimedOut) {
  core::error_code result;
  asio::co_spawn(
      io_, [&]() -> asio::awaitable<void> { result = co_await read_one(50ms); }, asio::detached);
  io_.run_for(5s);
  EXPECT_EQ(result, asio::error::timed_out) << result.message();
  EXPECT_FALSE(connection_->tcp->is_open());  // the deadline closed it: not reusable
}

// The time between operations (waiting for the caller's body, or for the edge's window while a
// slow caller reads the response) is not the app's: after expires_never() the socket survives
// well past the old deadline.
TEST_F(UpstreamConnectionTest, TimeBetweenOperationsDoesNotCount) {
  core::error_code first = asio::error::fault;
  core::error_code second = asio::error::fault;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        asio::write(app_, asio::buffer("a", 1));
        first = co_await read_one(50ms);
        co_await sleep(200ms);  // four deadlines' worth with nothing pending
        asio::write(app_, asio::buffer("b", 1));
        second = co_await read_one(50ms);
      },
      asio::detached);
  io_.run_for(5s);
  EXPECT_FALSE(first) << first.message();
  EXPECT_FALSE(second) << second.message();
  EXPECT_TRUE(connection_->tcp->is_open());
}

TEST_F(UpstreamConnectionTest, AnErrorWithinTheDeadlineKeepsItsOwnCode) {
  core::error_code result;
  app_.close();  // the app hangs up: eof, not a timeout
  asio::co_spawn(
      io_, [&]() -> asio::awaitable<void> { result = co_await read_one(1s); }, asio::detached);
  io_.run_for(5s);
  EXPECT_EQ(result, asio::error::eof) << result.message();
}

}  // namespace
}  // namespace relay::agent
