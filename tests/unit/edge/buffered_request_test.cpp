// The public side of a buffered tunnel: every decision without sockets (docs/delivery.md).
#include "edge/buffered_request.hpp"

#include <gtest/gtest.h>

#include "edge/buffer_policies.hpp"

namespace relay::edge {
namespace {

using core::BufferMode;

BufferedStep step(BufferMode mode, bool live, bool fits = true, bool handshake = false,
                  bool duplicate = false) {
  return decide({mode, live, fits, handshake, duplicate});
}

TEST(BufferedDecide, OfflineGoesLiveWhenTheAgentIsHereAndQueuesWhenNot) {
  EXPECT_EQ(step(BufferMode::offline, true), BufferedStep::go_live);
  EXPECT_EQ(step(BufferMode::offline, false), BufferedStep::queue);
}

TEST(BufferedDecide, AlwaysQueuesEvenWithTheAgentHere) {
  EXPECT_EQ(step(BufferMode::always, true), BufferedStep::queue);
  EXPECT_EQ(step(BufferMode::always, false), BufferedStep::queue);
}

TEST(BufferedDecide, HandshakesGoLiveOrAreRefusedNeverQueued) {
  for (auto mode : {BufferMode::offline, BufferMode::always}) {
    EXPECT_EQ(step(mode, true, true, true), BufferedStep::go_live);
    EXPECT_EQ(step(mode, false, true, true), BufferedStep::refuse_handshake);
  }
}

TEST(BufferedDecide, DuplicatesAreAnsweredBeforeAnythingElseButSize) {
  for (auto mode : {BufferMode::offline, BufferMode::always}) {
    for (bool live : {true, false}) {
      EXPECT_EQ(step(mode, live, true, false, true), BufferedStep::answer_duplicate);
      EXPECT_EQ(step(mode, live, true, true, true), BufferedStep::answer_duplicate);
    }
  }
}

TEST(BufferedDecide, BodiesOverTheCapStreamLiveOrAreRefused) {
  for (auto mode : {BufferMode::offline, BufferMode::always}) {
    EXPECT_EQ(step(mode, true, false), BufferedStep::stream_live);
    EXPECT_EQ(step(mode, false, false), BufferedStep::refuse_too_large);
    EXPECT_EQ(step(mode, false, false, true, true), BufferedStep::refuse_too_large);
  }
}

TEST(LiveAnswer, TheAppsOwnAnswersPassThrough) {
  for (int status : {200, 201, 204, 301, 400, 401, 404, 409, 422, 500, 501}) {
    EXPECT_EQ(judge_live_answer({ExchangeFailure::none, status, ""}, false),
              LiveVerdict::pass_through)
        << status;
  }
  // relay's own codes that are not "the app is unavailable" (a bad signature) pass too.
  EXPECT_EQ(
      judge_live_answer({ExchangeFailure::none, 403, "RELAY_WEBHOOK_SIGNATURE_INVALID"}, false),
      LiveVerdict::pass_through);
}

TEST(LiveAnswer, UnavailableAppsAreQueued) {
  for (int status : {502, 503, 504}) {
    EXPECT_EQ(judge_live_answer({ExchangeFailure::none, status, ""}, false), LiveVerdict::queue);
  }
  for (std::string_view code :
       {"RELAY_UPSTREAM_REFUSED", "RELAY_UPSTREAM_TIMEOUT", "RELAY_UPSTREAM_FAILED"}) {
    EXPECT_EQ(judge_live_answer({ExchangeFailure::none, 500, code}, false), LiveVerdict::queue);
  }
  for (auto failure :
       {ExchangeFailure::busy, ExchangeFailure::refused, ExchangeFailure::session_lost,
        ExchangeFailure::reset, ExchangeFailure::timeout}) {
    EXPECT_EQ(judge_live_answer({failure, 0, ""}, false), LiveVerdict::queue);
  }
}

TEST(LiveAnswer, HandshakesAreNeverQueued) {
  EXPECT_EQ(judge_live_answer({ExchangeFailure::none, 200, ""}, true), LiveVerdict::pass_through);
  EXPECT_EQ(judge_live_answer({ExchangeFailure::none, 502, "RELAY_UPSTREAM_REFUSED"}, true),
            LiveVerdict::pass_through);
  EXPECT_EQ(judge_live_answer({ExchangeFailure::session_lost, 0, ""}, true),
            LiveVerdict::refuse_handshake);
}

TEST(LiveAnswer, OnlyA2xxWithAnEventIdIsRemembered) {
  EXPECT_TRUE(remember_live_event(200, "evt"));
  EXPECT_TRUE(remember_live_event(204, "evt"));
  EXPECT_FALSE(remember_live_event(200, ""));
  EXPECT_FALSE(remember_live_event(400, "evt"));
  EXPECT_FALSE(remember_live_event(302, "evt"));
}

TEST(QueueReason, SaysWhy) {
  EXPECT_EQ(queue_reason(BufferMode::always, true), "always");
  EXPECT_EQ(queue_reason(BufferMode::offline, false), "agent offline");
  EXPECT_EQ(queue_reason(BufferMode::offline, true), "app unavailable");
}

TEST(QueuedAnswer, StatusHeaderAndJson) {
  auto out = render_queued_answer(202, "d-1", false, true, false);
  EXPECT_EQ(out.rfind("HTTP/1.1 202 Accepted\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("content-type: application/json\r\n"), std::string::npos);
  EXPECT_NE(out.find("relay-delivery-id: d-1\r\n"), std::string::npos);
  EXPECT_EQ(out.find("connection: close"), std::string::npos);
  const std::string body = R"({"delivery_id":"d-1","queued":true})";
  EXPECT_NE(out.find("content-length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - body.size()), body);
}

TEST(QueuedAnswer, DuplicateHeadAndClose) {
  auto out = render_queued_answer(200, "d-9", true, false, false);
  EXPECT_NE(out.find(R"("duplicate":true)"), std::string::npos) << out;
  EXPECT_NE(out.find("connection: close\r\n"), std::string::npos);
  auto head = render_queued_answer(200, "d-9", true, true, true);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
}

TEST(BufferPolicies, SetFindEraseLoad) {
  BufferPolicies policies;
  EXPECT_EQ(policies.find("a"), nullptr);
  core::BufferPolicy always{.mode = BufferMode::always, .status = 202};
  policies.set("a", always);
  ASSERT_NE(policies.find("a"), nullptr);
  EXPECT_EQ(policies.find("a")->status, 202);
  policies.set("a", core::BufferPolicy{});  // off removes
  EXPECT_EQ(policies.find("a"), nullptr);
  policies.set("b", always);
  policies.erase("b");
  EXPECT_TRUE(policies.empty());
  policies.load({{"c", always}, {"d", core::BufferPolicy{}}});
  EXPECT_EQ(policies.size(), 1u);
  EXPECT_NE(policies.find("c"), nullptr);
}

}  // namespace
}  // namespace relay::edge
