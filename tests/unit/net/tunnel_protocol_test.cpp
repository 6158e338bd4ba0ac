#include <gtest/gtest.h>

#include "relay/net/tunnel_protocol.hpp"

namespace relay::net::protocol {
namespace {

// The message of a failed parse ("" when it did not fail).
template <class T>
std::string why(const core::Fallible<T>& parsed) {
  return parsed ? std::string() : parsed.error().message;
}

TEST(TunnelProtocolBuffer, PolicyRoundTripsThroughTheConnectRequest) {
  ConnectRequest request;
  core::BufferPolicy policy;
  policy.mode = core::BufferMode::always;
  policy.ttl = std::chrono::seconds(60);
  policy.max_events = 7;
  policy.status = 202;
  policy.concurrency = 1;
  policy.ordered = true;
  policy.dedupe_window = std::chrono::seconds(0);
  request.tunnels.push_back({"hooks", "http", "", policy});
  request.tunnels.push_back({"plain", "http", "", std::nullopt});
  auto parsed = parse_connect_request(serialize(request));
  ASSERT_TRUE(parsed) << why(parsed);
  ASSERT_EQ(parsed->tunnels.size(), 2U);
  ASSERT_TRUE(parsed->tunnels[0].buffer);
  EXPECT_EQ(*parsed->tunnels[0].buffer, policy);
  EXPECT_FALSE(parsed->tunnels[1].buffer);
}

TEST(TunnelProtocolBuffer, DefaultsFillWhatTheAgentLeftOut) {
  auto parsed = parse_connect_request(
      R"({"version":1,"tunnels":[{"name":"a","buffer":{"mode":"offline"}}]})");
  ASSERT_TRUE(parsed) << why(parsed);
  ASSERT_TRUE(parsed->tunnels[0].buffer);
  EXPECT_EQ(*parsed->tunnels[0].buffer, core::BufferPolicy{.mode = core::BufferMode::offline});
}

TEST(TunnelProtocolBuffer, OffMeansNoPolicy) {
  auto parsed = parse_connect_request(R"({"version":1,"tunnels":[{"buffer":{"mode":"off"}}]})");
  ASSERT_TRUE(parsed) << why(parsed);
  EXPECT_FALSE(parsed->tunnels[0].buffer);
}

TEST(TunnelProtocolBuffer, OutOfBoundsValuesAreRefusedWithTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"mode":"sometimes"})", "'buffer.mode'"},
      {R"({"status":404})", "2xx"},
      {R"({"concurrency":0})", "buffer_concurrency"},
      {R"({"concurrency":65})", "'concurrency'"},
      {R"({"ttl":0})", "buffer_ttl"},
      {R"({"ttl":"1h"})", "'ttl'"},
      {R"({"max":-1})", "'max'"},
      {R"({"ordered":"yes"})", "'ordered'"},
      {R"([1])", "'buffer' must be an object"},
  };
  for (const auto& [buffer, expected] : cases) {
    auto json = std::string(R"({"version":1,"tunnels":[{"buffer":)") + buffer + "}]}";
    auto parsed = parse_connect_request(json);
    EXPECT_FALSE(parsed) << buffer;
    EXPECT_NE(why(parsed).find(expected), std::string::npos) << buffer << ": " << why(parsed);
  }
}

TEST(TunnelProtocolIpRules, RoundTripAndShape) {
  ConnectRequest request;
  TunnelRequest tunnel{"hooks", "http", "", std::nullopt, {"10.0.0.0/8"}, {"10.0.0.9", "::1"}};
  request.tunnels.push_back(tunnel);
  auto parsed = parse_connect_request(serialize(request));
  ASSERT_TRUE(parsed) << why(parsed);
  EXPECT_EQ(parsed->tunnels[0].ip_allow, tunnel.ip_allow);
  EXPECT_EQ(parsed->tunnels[0].ip_deny, tunnel.ip_deny);
  auto not_a_list = parse_connect_request(R"({"version":1,"tunnels":[{"ip_allow":"10.0.0.0/8"}]})");
  EXPECT_FALSE(not_a_list);
  EXPECT_NE(why(not_a_list).find("'ip_allow'"), std::string::npos);
  EXPECT_FALSE(parse_connect_request(R"({"version":1,"tunnels":[{"ip_deny":[7]}]})"));
}

TEST(TunnelProtocolDeliveries, MessagesRoundTrip) {
  DeliverySummary d{"d1",          "hooks", "dead", "POST", "/x?y",
                    1700000000123, 3,       0,      403,    "signature invalid",
                    "evt_1",       42};
  std::vector<ControlMessage> messages = {
      ListDeliveriesMessage{"r1", "hooks", "queued", 10},
      DeliveriesMessage{"r1", {d}},
      DeliveryCommandMessage{"r2", "purge", "", "hooks", "dead"},
      DeliveryResultMessage{"r2", 5, "", ""},
  };
  for (const auto& m : messages) {
    std::string line = serialize(m);
    ASSERT_EQ(line.back(), '\n');
    auto parsed = parse_control_message(line);
    ASSERT_TRUE(parsed) << why(parsed);
    EXPECT_EQ(serialize(*parsed), line);
  }
}

TEST(TunnelProtocolDeliveries, ListLimitIsBounded) {
  auto too_many = parse_control_message(R"({"type":"list_deliveries","limit":5000})");
  EXPECT_FALSE(too_many);
  EXPECT_NE(why(too_many).find("'limit'"), std::string::npos);
}

TEST(TunnelProtocolConnect, AMalformedRequestSaysWhatIsWrong) {
  EXPECT_EQ(why(parse_connect_request("{")), "not valid JSON");
  EXPECT_EQ(why(parse_connect_request("[1]")), "expected a JSON object");
  EXPECT_EQ(why(parse_connect_request(R"({"version":"1"})")), "'version' must be an integer");
  EXPECT_EQ(why(parse_control_message(R"({"type":"nope"})")), "unknown message type 'nope'");
}

// Every member is read, but the message names the first bad one in the reading order.
TEST(TunnelProtocolConnect, TheFirstBadMemberIsTheOneNamed) {
  EXPECT_EQ(why(parse_connect_request(
                R"({"version":1,"tunnels":[{"name":1,"proto":2,"buffer":{"ttl":"x"}}]})")),
            "'name' must be a string");
  EXPECT_EQ(why(parse_connect_request(
                R"({"version":1,"tunnels":[{"buffer":{"max":-1,"ordered":1}},{"name":1}]})")),
            "in 'buffer': 'max' must be an integer between 0 and " +
                std::to_string(core::BufferPolicyBounds::kMaxEvents));
  EXPECT_EQ(why(parse_control_message(R"({"type":"error","code":1,"message":2})")),
            "'code' must be a string");
}

// Looked up by a switch on the length: every name is found, and its neighbours are not.
TEST(TunnelProtocolHopByHop, TheNineConnectionFieldsAndNothingElse) {
  for (const char* name :
       {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
        "upgrade", "proxy-authorization", "proxy-authenticate"}) {
    EXPECT_TRUE(is_hop_by_hop(name)) << name;
  }
  for (const char* name :
       {"", "t", "tE", "trailers", "content-length", "Connection", "host",
        "upgrade-insecure-requests", "proxy-authorizatio", "keep-alivf", "x-connection"}) {
    EXPECT_FALSE(is_hop_by_hop(name)) << name;
  }
}

}  // namespace
}  // namespace relay::net::protocol
