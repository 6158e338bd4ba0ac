#include "agent/capture_step.hpp"

#include <gtest/gtest.h>

#include "relay/core/error_page.hpp"
#include "unit/agent/replay_exchange.hpp"

namespace relay::agent {
namespace {

namespace asio = boost::asio;
using test_support::make_exchange;
using test_support::make_tunnel;
using test_support::run_to_end;

class CaptureStepTest : public ::testing::Test {
 protected:
  asio::io_context io_;
  inspect::CaptureStore store_;  // memory only
  std::shared_ptr<TunnelRuntime> tunnel_ = make_tunnel();
};

TEST_F(CaptureStepTest, RecordsTheRequestInFlightWithoutTheTunnelsOwnFields) {
  CaptureStep step(store_, 1024);
  auto x = make_exchange(tunnel_, "POST", "/hook?a=1",
                         {{"content-type", "application/json"},
                          {"relay-remote-addr", "203.0.113.9:4711"},
                          {"relay-request-id", "req-1"}},
                         "{}");
  EXPECT_EQ(run_to_end(io_, step.run(*x)), Step::Outcome::next);
  auto c = store_.find(x->capture_id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->tunnel, "t");
  EXPECT_EQ(c->method, "POST");
  EXPECT_EQ(c->url, "/hook?a=1");
  EXPECT_EQ(c->public_url, "https://t.relay.test");
  EXPECT_EQ(c->remote_addr, "203.0.113.9");
  EXPECT_EQ(c->status, 0);  // in flight
  EXPECT_EQ(c->request_headers.get("content-type"), "application/json");
  EXPECT_FALSE(c->request_headers.get("relay-request-id"));
  EXPECT_FALSE(c->request_headers.get(":method"));
}

TEST_F(CaptureStepTest, TapsBodiesAsTheyPassUpToTheLimitAndStoresTheResponse) {
  CaptureStep step(store_, 4);
  auto x = make_exchange(tunnel_, "POST", "/hook", {}, "0123456789");
  run_to_end(io_, step.run(*x));
  std::string read;
  run_to_end(io_, x->stream->read(read));  // as the forward step reads it
  EXPECT_EQ(read, "0123456789");           // delivery is unchanged
  run_to_end(io_, respond_with(*x, 201, {{"content-type", "text/plain"}}, "created!"));
  step.finished(*x);
  EXPECT_FALSE(x->capture);
  auto c = store_.find(x->capture_id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, 201);
  EXPECT_EQ(c->request_body.data, "0123");
  EXPECT_EQ(c->request_body.size, 10U);
  EXPECT_TRUE(c->request_body.truncated);
  EXPECT_EQ(c->response_body.data, "crea");
  EXPECT_EQ(c->response_headers.get("content-type"), "text/plain");
  EXPECT_TRUE(c->error_code.empty());
}

TEST_F(CaptureStepTest, RecordsRelaysOwnAnswerAndACallerThatLeft) {
  CaptureStep step(store_, 1024);
  auto refused = make_exchange(tunnel_, "GET", "/");
  run_to_end(io_, step.run(*refused));
  run_to_end(io_, respond_error(*refused, 502, core::error_codes::upstream_refused, "no app"));
  refused->detail = "connect: refused";
  step.finished(*refused);
  auto c = store_.find(refused->capture_id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, 502);
  EXPECT_EQ(c->error_code, core::error_codes::upstream_refused);
  EXPECT_EQ(c->error, "connect: refused");

  auto gone = make_exchange(tunnel_, "GET", "/");
  run_to_end(io_, step.run(*gone));
  step.finished(*gone);
  c = store_.find(gone->capture_id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, 0);
  EXPECT_EQ(c->error_code, "RELAY_CALLER_GONE");
  EXPECT_FALSE(c->error.empty());
}

TEST_F(CaptureStepTest, MarksAReplay) {
  CaptureStep step(store_, 1024);
  auto x = make_exchange(tunnel_, "POST", "/hook");
  x->replay_of = "ins_earlier";
  run_to_end(io_, step.run(*x));
  auto c = store_.find(x->capture_id);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->replay);
  EXPECT_EQ(c->replay_of, "ins_earlier");
  EXPECT_EQ(c->remote_addr, "replay");
}

}  // namespace
}  // namespace relay::agent
