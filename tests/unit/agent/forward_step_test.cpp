#include "agent/forward_step.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "relay/core/error_page.hpp"
#include "unit/agent/replay_exchange.hpp"

namespace relay::agent {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using test_support::make_exchange;
using test_support::make_tunnel;
using test_support::run_to_end;
using ::testing::HasSubstr;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// The app, on 127.0.0.1: reads each request whole, records it, and answers `response` (or
// nothing, holding the connection, when `answers` is false).
class TinyApp {
 public:
  explicit TinyApp(asio::io_context& io) : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(io, accept_loop(), asio::detached);
  }
  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  std::string response = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
  bool answers = true;
  bool close_after_answer = false;  // a keep-alive response, then the app closes anyway
  std::vector<http::request<http::string_body>> requests;
  int connections = 0;

 private:
  asio::awaitable<void> accept_loop() {
    for (int i = 0; i < 16; ++i) {  // bounded: no test needs more
      auto [ec, socket] = co_await acceptor_.async_accept(kUseTuple);
      if (ec) co_return;
      ++connections;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      auto [ec, n] = co_await http::async_read(socket, buffer, request, kUseTuple);
      if (ec) co_return;
      requests.push_back(request);
      if (!answers) {
        held_.push_back(std::move(socket));  // open, silent, until the test ends
        co_return;
      }
      auto [wec, written] = co_await asio::async_write(socket, asio::buffer(response), kUseTuple);
      if (wec || close_after_answer) co_return;
    }
  }

  tcp::acceptor acceptor_;
  std::vector<tcp::socket> held_;
};

class ForwardStepTest : public ::testing::Test {
 protected:
  std::unique_ptr<ForwardStep> make_step(std::uint16_t port) {
    limits_.upstream_connect_timeout = std::chrono::seconds{5};
    limits_.upstream_response_timeout = std::chrono::seconds{1};
    pool_ = std::make_shared<UpstreamPool>(
        io_.get_executor(), UpstreamAddress{false, "127.0.0.1", port}, limits_, false);
    return std::make_unique<ForwardStep>(pool_, options_, limits_);
  }
  std::unique_ptr<Exchange> request(std::string method, std::string body = {},
                                    const core::Headers& fields = {}) {
    auto x = make_exchange(tunnel_, std::move(method), "/hook", fields, std::move(body));
    x->capture = std::make_unique<inspect::Capture>();
    x->stream->record_into(*x->capture, 1 << 20);  // to see what the caller got
    return x;
  }

  asio::io_context io_;
  TinyApp app_{io_};
  TunnelOptions options_;
  AgentLimits limits_;
  std::shared_ptr<UpstreamPool> pool_;
  std::shared_ptr<TunnelRuntime> tunnel_ = make_tunnel();
};

TEST_F(ForwardStepTest, SendsTheRequestAndRelaysTheAnswer) {
  app_.response =
      "HTTP/1.1 201 Created\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello";
  auto step = make_step(app_.port());
  auto x = request("POST", "{\"a\":1}", {{"content-length", "7"}, {"x-custom", "1"}});
  EXPECT_EQ(run_to_end(io_, step->run(*x)), Step::Outcome::answered);
  ASSERT_EQ(app_.requests.size(), 1U);
  const auto& seen = app_.requests.front();
  EXPECT_EQ(seen.method_string(), "POST");
  EXPECT_EQ(seen.target(), "/hook");
  EXPECT_EQ(seen.body(), "{\"a\":1}");
  EXPECT_EQ(seen["x-custom"], "1");
  EXPECT_EQ(x->status, 201);
  EXPECT_TRUE(x->relay_code.empty());
  EXPECT_EQ(x->capture->response_body.data, "hello");
  EXPECT_EQ(x->capture->response_headers.get("content-type"), "text/plain");
  EXPECT_EQ(pool_->idle(), 1U);  // kept alive for the next request
}

TEST_F(ForwardStepTest, ABodyOfUnknownLengthGoesChunked) {
  auto step = make_step(app_.port());
  auto x = request("POST", "streamed");  // no content-length
  run_to_end(io_, step->run(*x));
  ASSERT_EQ(app_.requests.size(), 1U);
  EXPECT_EQ(app_.requests.front().body(), "streamed");
  EXPECT_TRUE(app_.requests.front().chunked());
  EXPECT_EQ(x->status, 200);
}

TEST_F(ForwardStepTest, AKeptAliveConnectionTheAppClosedIsRetriedOnAFreshOne) {
  app_.close_after_answer = true;
  auto step = make_step(app_.port());
  auto first = request("POST", "{}", {{"content-length", "2"}});
  run_to_end(io_, step->run(*first));
  EXPECT_EQ(first->status, 200);
  auto second = request("POST", "{}", {{"content-length", "2"}});
  run_to_end(io_, step->run(*second));
  EXPECT_EQ(second->status, 200);
  EXPECT_TRUE(second->relay_code.empty());
  EXPECT_EQ(app_.connections, 2);
}

TEST_F(ForwardStepTest, NoAppListeningIsA502ThatSaysWhatToCheck) {
  std::uint16_t closed_port = 0;
  {
    tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = probe.local_endpoint().port();
  }
  auto step = make_step(closed_port);
  auto x = request("GET");
  run_to_end(io_, step->run(*x));
  EXPECT_EQ(x->status, 502);
  EXPECT_EQ(x->relay_code, core::error_codes::upstream_refused);
  EXPECT_THAT(x->capture->response_body.data, HasSubstr("Is your app listening on 127.0.0.1:"));
}

TEST_F(ForwardStepTest, AnAppThatDoesNotAnswerInTimeIsA504) {
  app_.answers = false;
  auto step = make_step(app_.port());
  auto x = request("GET");
  run_to_end(io_, step->run(*x));
  EXPECT_EQ(x->status, 504);
  EXPECT_EQ(x->relay_code, core::error_codes::upstream_timeout);
  EXPECT_THAT(x->capture->response_body.data, HasSubstr("did not answer within 1 s"));
}

TEST_F(ForwardStepTest, AnAmbiguouslyFramedAnswerIsRefusedWithA502) {
  app_.response = "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nxx";
  auto step = make_step(app_.port());
  auto x = request("GET");
  run_to_end(io_, step->run(*x));
  EXPECT_EQ(x->status, 502);
  EXPECT_EQ(x->relay_code, core::error_codes::upstream_failed);
  EXPECT_THAT(x->detail, HasSubstr("the app sent an invalid HTTP/1.1 response"));
  EXPECT_EQ(pool_->idle(), 0U);  // never reused
}

TEST_F(ForwardStepTest, AnAnswerThatBreaksOffResetsTheStream) {
  app_.response = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part";
  app_.close_after_answer = true;
  auto step = make_step(app_.port());
  auto x = request("GET");
  run_to_end(io_, step->run(*x));
  EXPECT_EQ(x->status, 200);  // the head went to the caller
  EXPECT_TRUE(x->stream->closed());
  EXPECT_EQ(x->relay_code, core::error_codes::upstream_failed);
  EXPECT_THAT(x->detail, HasSubstr("the app's response broke off"));
}

}  // namespace
}  // namespace relay::agent
