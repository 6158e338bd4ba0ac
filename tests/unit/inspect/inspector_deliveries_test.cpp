// /api/deliveries over a fake queue: the JSON shape, input checks, and how the agent's transport
// failures and the edge's answers become HTTP statuses.
#include "inspector_fixture.hpp"

namespace relay::inspect::testing {
namespace {

net::protocol::DeliverySummary dead_one() {
  return {.id = "d1",
          .tunnel = "hooks",
          .state = "dead",
          .method = "POST",
          .path = "/tiktok",
          .received_at_ms = 1'765'016'130'123,
          .attempts = 2,
          .next_attempt_at_ms = 0,
          .last_status = 403,
          .last_error = "HTTP 403 RELAY_WEBHOOK_SIGNATURE_INVALID",
          .event_id = "e1",
          .body_bytes = 42};
}

TEST_F(InspectorTest, ListsDeliveries) {
  deliveries.items = {dead_one()};
  const auto r = call("GET", "/api/deliveries?state=dead&tunnel=hooks&limit=5");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = r.json();
  EXPECT_EQ(j["uri"], "/api/deliveries");
  ASSERT_EQ(j["deliveries"].size(), 1U);
  const auto& d = j["deliveries"][0];
  EXPECT_EQ(d["id"], "d1");
  EXPECT_EQ(d["uri"], "/api/deliveries/d1");
  EXPECT_EQ(d["state"], "dead");
  EXPECT_EQ(d["attempts"], 2);
  EXPECT_EQ(d["received_at"], "2025-12-06T10:15:30.123000Z");
  EXPECT_TRUE(d["next_attempt_at"].is_null());
  EXPECT_EQ(d["last_status"], 403);
  EXPECT_EQ(d["body_bytes"], 42);
  EXPECT_EQ(deliveries.last_filter.state, "dead");
  EXPECT_EQ(deliveries.last_filter.tunnel, "hooks");
  EXPECT_EQ(deliveries.last_filter.limit, 5);
}

TEST_F(InspectorTest, DeliveryInputIsChecked) {
  EXPECT_EQ(call("GET", "/api/deliveries?state=lost").status, 400);
  EXPECT_EQ(call("GET", "/api/deliveries?limit=0").status, 400);
  EXPECT_EQ(call("GET", "/api/deliveries?limit=1001").status, 400);
  EXPECT_EQ(call("GET", "/api/deliveries?limit=x").status, 400);
  EXPECT_EQ(call("DELETE", "/api/deliveries").status, 400);  // purge needs a tunnel
  EXPECT_EQ(call("PUT", "/api/deliveries").status, 405);
  EXPECT_EQ(call("GET", "/api/deliveries/d1/retry").status, 405);
  EXPECT_TRUE(deliveries.commands.empty());
}

TEST_F(InspectorTest, DeliveryCommandsReachTheQueue) {
  EXPECT_EQ(call("POST", "/api/deliveries/d1/retry").json()["retried"], 1);
  EXPECT_EQ(call("DELETE", "/api/deliveries/d1").status, 204);
  deliveries.outcome = {3, "", ""};
  const auto purged = call("DELETE", "/api/deliveries?tunnel=hooks&state=dead");
  ASSERT_EQ(purged.status, 200) << purged.body;
  EXPECT_EQ(purged.json()["purged"], 3);
  EXPECT_EQ(deliveries.commands,
            (std::vector<std::string>{"retry d1  ", "drop d1  ", "purge  hooks dead"}));
}

TEST_F(InspectorTest, EdgeAnswersBecomeStatuses) {
  deliveries.outcome = {0, "not_found", "no delivery 'x' on this agent's tunnels"};
  auto r = call("DELETE", "/api/deliveries/x");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.json()["msg"].get<std::string>().find("no delivery 'x'"), std::string::npos);
  deliveries.outcome = {0, "conflict", "being delivered right now"};
  EXPECT_EQ(call("DELETE", "/api/deliveries/x").status, 409);
  deliveries.outcome = {0, "store_unavailable", "disk full"};
  EXPECT_EQ(call("POST", "/api/deliveries/x/retry").status, 503);
}

TEST_F(InspectorTest, NoSessionIs503AndNoAnswerIs504) {
  deliveries.transport = Errc::no_session;
  auto r = call("GET", "/api/deliveries");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.json()["msg"].get<std::string>().find("no session with the edge"), std::string::npos);
  deliveries.transport = Errc::edge_timeout;
  EXPECT_EQ(call("POST", "/api/deliveries/d1/retry").status, 504);
}

TEST_F(InspectorTest, DeliveryChangesNeedTheSameOrigin) {
  EXPECT_EQ(call("DELETE", "/api/deliveries/d1", {}, {{"Origin", "http://evil.example"}}).status,
            403);
  EXPECT_EQ(
      call("POST", "/api/deliveries/d1/retry", {}, {{"Origin", "http://evil.example"}}).status,
      403);
  EXPECT_EQ(call("GET", "/api/deliveries", {}, {}, "evil.example").status, 403);
  EXPECT_TRUE(deliveries.commands.empty());
}

}  // namespace
}  // namespace relay::inspect::testing
