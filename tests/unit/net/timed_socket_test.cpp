#include "relay/net/timed_socket.hpp"

#include <array>
#include <chrono>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace relay::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// A TimedSocket connected to a peer socket on loopback, both on one io_context. The contract
// pinned here is beast::tcp_stream's, which TimedSocket replaced on the public side and towards
// the app: only time with an operation pending counts.
class TimedSocketTest : public ::testing::Test {
 protected:
  TimedSocketTest() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    tcp::socket client(io_);
    client.connect(acceptor_.local_endpoint());
    socket_.emplace(std::move(client));
    peer_ = acceptor_.accept();
  }

  asio::awaitable<boost::system::error_code> read_one() {
    std::array<char, 1> byte{};
    auto [ec, n] = co_await socket_->async_read_some(asio::buffer(byte), kUseTuple);
    co_return ec;
  }

  asio::awaitable<void> sleep(std::chrono::milliseconds d) {
    asio::steady_timer timer(io_, d);
    co_await timer.async_wait(kUseTuple);
  }

  void run(asio::awaitable<void> test) {
    asio::co_spawn(io_, std::move(test), asio::detached);
    io_.run_for(5s);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::optional<TimedSocket> socket_;
  tcp::socket peer_{io_};
};

TEST_F(TimedSocketTest, AReadPendingAtTheExpiryFailsAsTimeoutAndClosesTheSocket) {
  boost::system::error_code result;
  const auto started = std::chrono::steady_clock::now();
  run([&]() -> asio::awaitable<void> {
    socket_->expires_after(50ms);
    result = co_await read_one();
  }());
  EXPECT_EQ(result, beast::error::timeout) << result.message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_FALSE(socket_->socket().is_open());
}

// Waiting between operations (for the agent, for the app) is not the caller's time: an expiry
// that passes with nothing pending closes nothing. As with beast, an operation started after
// it has passed fails at once.
TEST_F(TimedSocketTest, AnExpiryWithNothingPendingClosesNothing) {
  boost::system::error_code first = asio::error::fault;
  boost::system::error_code late = asio::error::fault;
  bool open_after_wait = false;
  run([&]() -> asio::awaitable<void> {
    socket_->expires_after(50ms);
    asio::write(peer_, asio::buffer("a", 1));
    first = co_await read_one();
    co_await sleep(200ms);
    open_after_wait = socket_->socket().is_open();
    late = co_await read_one();  // the expiry passed before it began
  }());
  EXPECT_FALSE(first) << first.message();
  EXPECT_TRUE(open_after_wait);
  EXPECT_EQ(late, beast::error::timeout) << late.message();
}

TEST_F(TimedSocketTest, ANewExpiryBeforeEachOperationKeepsTheConnection) {
  boost::system::error_code second = asio::error::fault;
  run([&]() -> asio::awaitable<void> {
    socket_->expires_after(50ms);
    asio::write(peer_, asio::buffer("ab", 2));
    co_await read_one();
    co_await sleep(200ms);
    socket_->expires_after(50ms);
    second = co_await read_one();
    socket_->expires_never();
    co_await sleep(100ms);
  }());
  EXPECT_FALSE(second) << second.message();
  EXPECT_TRUE(socket_->socket().is_open());
}

TEST_F(TimedSocketTest, AnErrorBeforeTheExpiryKeepsItsOwnCode) {
  boost::system::error_code result;
  peer_.close();  // the peer hangs up: eof, not a timeout
  run([&]() -> asio::awaitable<void> {
    socket_->expires_after(1s);
    result = co_await read_one();
  }());
  EXPECT_EQ(result, asio::error::eof) << result.message();
}

// Under TLS the deadline bounds the handshake's reads and writes as well (what the public TLS
// listener and an https:// app rely on): a peer that never answers is a timeout.
TEST_F(TimedSocketTest, ATlsHandshakeWithASilentPeerTimesOut) {
  asio::ssl::context context(asio::ssl::context::tls_client);
  asio::ssl::stream<TimedSocket> tls(std::move(*socket_), context);
  boost::system::error_code result;
  run([&]() -> asio::awaitable<void> {
    tls.next_layer().expires_after(50ms);
    auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::client, kUseTuple);
    result = ec;
  }());
  EXPECT_EQ(result, beast::error::timeout) << result.message();
}

}  // namespace
}  // namespace relay::net
