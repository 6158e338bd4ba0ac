#include "edge/stream_proxy.hpp"
#include "relay/net/deadline.hpp"

#include <chrono>
#include <cstdlib>
#include <future>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>

#include "edge/public_connection.hpp"
#include "relay/net/error.hpp"

namespace relay::edge {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// StreamProxy without an agent: a StreamTarget that is full or cannot open a stream, and a
// caller on an in-process loopback connection. Not an in-memory stream: StreamProxy is
// instantiated only for the public connection's stream types, whose lowest layer must be a TCP
// socket (deadlines, the upload's rate guard, the half-close); and the paths after the stream
// opens need a net::H2Stream, which only an H2Session feeds (docs/architecture.md § Coroutines).
class FakeTarget : public StreamTarget {
 public:
  explicit FakeTarget(asio::any_io_executor ex) : budget_(std::move(ex)) {}

  bool full = false;
  core::error_code open_error = net::Errc::refused;
  int opens = 0;

  asio::awaitable<StreamBudget::Ticket> reserve_stream() override {
    if (full) co_return StreamBudget::Ticket{};
    co_return co_await budget_.acquire([] { return std::size_t{1}; },
                                       std::chrono::steady_clock::now());
  }
  core::Result<std::shared_ptr<net::H2Stream>> open_stream(core::Headers /*headers*/,
                                                           bool /*end_stream*/,
                                                           net::FieldNames /*names*/) override {
    ++opens;
    return open_error;
  }

 private:
  StreamBudget budget_;
};

class StreamProxyTest : public ::testing::Test {
 protected:
  StreamProxyTest() : state_(io_.get_executor(), edge::EdgeOptions{}) {}

  // Runs one proxied request, on a new connection, whose head (and any body bytes already
  // read) is `request`; returns the outcome, and what the caller received in `answer`.
  ProxyOutcome proxy(const std::string& request, std::string& answer) {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket caller(io_);
    caller.connect(acceptor.local_endpoint());
    PlainStream edge_side(acceptor.accept());
    PublicRequestParser parser;
    boost::system::error_code ec;
    const std::size_t used = parser.put(asio::buffer(request), ec);
    EXPECT_FALSE(ec) << ec.message();
    boost::beast::flat_buffer buffer;
    auto rest = asio::buffer(request.data() + used, request.size() - used);
    buffer.commit(asio::buffer_copy(buffer.prepare(rest.size()), rest));
    net::Deadline response_deadline(io_.get_executor());  // the connection's, in the edge
    StreamProxy<PlainStream> stream_proxy(state_, edge_side, buffer, parser, target_,
                                          {.tunnel = "shop",
                                           .request_id = "r1",
                                           .remote = "127.0.0.1:1",
                                           .tls = false,
                                           .keep_alive = true},
                                          response_deadline);
    auto done = asio::co_spawn(io_, stream_proxy.run(), asio::use_future);
    // Bounded: the edge's own timers keep the context busy, so it never runs out of work.
    for (int turn = 0;
         turn < 500 && done.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
         ++turn) {
      io_.run_one_for(std::chrono::milliseconds(10));
    }
    if (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      ADD_FAILURE() << "StreamProxy::run did not finish within 5 s";
      std::abort();  // its frame still refers to this function's locals
    }
    edge_side.socket().shutdown(tcp::socket::shutdown_send, ec);
    answer.clear();
    asio::read(caller, asio::dynamic_buffer(answer), ec);  // until the edge's FIN
    return done.get();
  }

  asio::io_context io_;
  EdgeState state_;
  std::shared_ptr<FakeTarget> target_ = std::make_shared<FakeTarget>(io_.get_executor());
};

constexpr const char* kGet = "GET /hook HTTP/1.1\r\nHost: shop.localhost\r\n\r\n";
constexpr const char* kPostHeadOnly =
    "POST /hook HTTP/1.1\r\nHost: shop.localhost\r\nContent-Length: 5\r\n\r\n";

TEST_F(StreamProxyTest, AFullSessionIsA503WithRetryAfter) {
  target_->full = true;
  std::string answer;
  auto outcome = proxy(kGet, answer);
  EXPECT_EQ(outcome.status, 503);
  EXPECT_EQ(outcome.error_code, core::error_codes::tunnel_busy);
  EXPECT_TRUE(outcome.keep_alive);  // nothing unread: the connection may serve the next one
  EXPECT_EQ(target_->opens, 0);     // no stream was opened
  EXPECT_EQ(answer.rfind("HTTP/1.1 503 ", 0), 0U) << answer;
  EXPECT_NE(answer.find("retry-after: 5\r\n"), std::string::npos) << answer;
}

TEST_F(StreamProxyTest, AFullSessionWithABodyStillToComeClosesTheConnection) {
  target_->full = true;
  std::string answer;
  auto outcome = proxy(kPostHeadOnly, answer);
  EXPECT_EQ(outcome.status, 503);
  EXPECT_FALSE(outcome.keep_alive);  // the unread body would be taken for the next request
  EXPECT_EQ(outcome.bytes_in, 0U);
  EXPECT_NE(answer.find("connection: close\r\n"), std::string::npos) << answer;
}

TEST_F(StreamProxyTest, ARefusedStreamIsARetryable503AndALostSessionA502) {
  std::string answer;
  auto refused = proxy(kGet, answer);
  EXPECT_EQ(target_->opens, 1);
  EXPECT_EQ(refused.status, 503) << answer;
  EXPECT_EQ(answer.rfind("HTTP/1.1 503 ", 0), 0U) << answer;

  target_->open_error = net::Errc::session_closed;
  auto lost = proxy(kGet, answer);
  EXPECT_EQ(lost.status, 502) << answer;
  EXPECT_EQ(answer.rfind("HTTP/1.1 502 ", 0), 0U) << answer;
}

}  // namespace
}  // namespace relay::edge
