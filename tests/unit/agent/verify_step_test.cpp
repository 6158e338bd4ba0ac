#include "agent/verify_step.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "relay/core/error_page.hpp"
#include "unit/agent/replay_exchange.hpp"

namespace relay::agent {
namespace {

namespace asio = boost::asio;
using test_support::make_exchange;
using test_support::make_tunnel;
using test_support::run_to_end;
using ::testing::HasSubstr;

// Valid when x-sig is "good" over the body "{}"; x-event is the event id; GET /challenge is a
// handshake it answers itself.
class FakeVerifier final : public verify::Verifier {
 public:
  verify::Verdict verify(const core::RequestView& request,
                         core::Clock::time_point /*now*/) const override {
    verify::Verdict v;
    if (auto event = request.headers.get("x-event")) v.event_id = std::string(*event);
    if (request.headers.get("x-sig") != "good" || request.body != "{}") {
      v.code = verify::VerdictCode::signature_mismatch;
      v.reason = "signature does not match";
    }
    return v;
  }
  std::optional<verify::HandshakeResponse> handshake(
      const core::RequestView& request, core::Clock::time_point /*now*/) const override {
    if (request.method != "GET" || request.url.find("/challenge") == std::string::npos) {
      return std::nullopt;
    }
    return verify::HandshakeResponse{200, {{"content-type", "text/plain"}}, "challenge-ok"};
  }
  std::optional<core::Headers> sign(const core::RequestView& /*request*/,
                                    core::Clock::time_point /*now*/) const override {
    return core::Headers{{"x-sig", "good"}};
  }
};

class VerifyStepTest : public ::testing::Test {
 protected:
  VerifyStep make_step(bool enforce = true, std::size_t max_body = 1024) {
    WebhookVerification options;
    options.provider = "fake";
    options.enforce = enforce;
    return {std::make_unique<FakeVerifier>(), options, max_body};
  }
  // The response body reaches the caller through the stream; a capture sees it.
  std::string response_body(Exchange& x) { return x.capture ? x.capture->response_body.data : ""; }
  std::unique_ptr<Exchange> signed_request(std::string_view sig, std::string body = "{}",
                                           std::string event = "evt-1") {
    auto x = make_exchange(tunnel_, "POST", "/hook",
                           {{"x-sig", std::string(sig)}, {"x-event", std::move(event)}},
                           std::move(body));
    x->capture = std::make_unique<inspect::Capture>();
    x->stream->record_into(*x->capture, 1 << 20);
    return x;
  }

  asio::io_context io_;
  std::shared_ptr<TunnelRuntime> tunnel_ = make_tunnel();
};

TEST_F(VerifyStepTest, AValidSignaturePassesWithTheBodyBuffered) {
  auto step = make_step();
  auto x = signed_request("good");
  EXPECT_EQ(run_to_end(io_, step.run(*x)), Step::Outcome::next);
  EXPECT_TRUE(x->body_buffered);
  EXPECT_EQ(x->body, "{}");
  ASSERT_TRUE(x->verdict);
  EXPECT_TRUE(x->verdict->ok());
  EXPECT_EQ(x->verdict->provider, "fake");
  EXPECT_EQ(x->status, 0);  // the app answers, later
}

TEST_F(VerifyStepTest, ABadSignatureIsRefusedWithAJsonReason) {
  auto step = make_step();
  auto x = signed_request("bad");
  EXPECT_EQ(run_to_end(io_, step.run(*x)), Step::Outcome::answered);
  EXPECT_EQ(x->status, 403);
  EXPECT_EQ(x->relay_code, core::error_codes::signature_invalid);
  EXPECT_THAT(response_body(*x), HasSubstr("signature does not match"));
  EXPECT_THAT(response_body(*x), HasSubstr("\"provider\":\"fake\""));
  EXPECT_EQ(x->capture->response_headers.get("content-type"), "application/json");
}

TEST_F(VerifyStepTest, WithEnforceOffABadSignatureIsDeliveredAndItsVerdictKept) {
  auto step = make_step(false);
  auto x = signed_request("bad");
  EXPECT_EQ(run_to_end(io_, step.run(*x)), Step::Outcome::next);
  ASSERT_TRUE(x->verdict);
  EXPECT_EQ(x->verdict->code, verify::VerdictCode::signature_mismatch);
  EXPECT_EQ(x->status, 0);
}

TEST_F(VerifyStepTest, ABodyOverTheLimitIsA413EvenWithEnforceOff) {
  auto step = make_step(false, 8);
  auto x = signed_request("good", std::string(9, 'x'));
  EXPECT_EQ(run_to_end(io_, step.run(*x)), Step::Outcome::answered);
  EXPECT_EQ(x->status, 413);
  EXPECT_EQ(x->relay_code, core::error_codes::body_too_large);
  ASSERT_TRUE(x->verdict);
  EXPECT_EQ(x->verdict->code, verify::VerdictCode::body_too_large);
}

TEST_F(VerifyStepTest, AProviderHandshakeIsAnsweredHere) {
  auto step = make_step();
  auto x = make_exchange(tunnel_, "GET", "/challenge?c=1");
  x->capture = std::make_unique<inspect::Capture>();
  x->stream->record_into(*x->capture, 1 << 20);
  EXPECT_EQ(run_to_end(io_, step.run(*x)), Step::Outcome::answered);
  EXPECT_EQ(x->status, 200);
  EXPECT_EQ(response_body(*x), "challenge-ok");
  EXPECT_TRUE(x->relay_code.empty());
}

TEST_F(VerifyStepTest, AnEventIdTheAppAlreadyGotIsFlaggedAsADuplicate) {
  auto step = make_step();
  auto first = signed_request("good");
  run_to_end(io_, step.run(*first));
  EXPECT_FALSE(first->duplicate);
  first->status = 200;  // the app answered
  step.finished(*first);

  auto again = signed_request("good");
  EXPECT_EQ(run_to_end(io_, step.run(*again)), Step::Outcome::next);  // still delivered
  EXPECT_TRUE(again->duplicate);

  auto replay = signed_request("good");
  replay->replay_of = "ins_1";  // a replay repeats the id on purpose
  run_to_end(io_, step.run(*replay));
  EXPECT_FALSE(replay->duplicate);
}

TEST_F(VerifyStepTest, AnEventTheAppNeverGotIsNoDuplicate) {
  auto step = make_step();
  auto refused = signed_request("good");
  run_to_end(io_, step.run(*refused));
  refused->status = 502;
  refused->relay_code = core::error_codes::upstream_refused;  // relay answered, not the app
  step.finished(*refused);
  auto again = signed_request("good");
  run_to_end(io_, step.run(*again));
  EXPECT_FALSE(again->duplicate);
}

}  // namespace
}  // namespace relay::agent
