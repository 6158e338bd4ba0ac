#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/connect_handshake.hpp"
#include "agent/edge_dialer.hpp"
#include "agent/tunnel_runtime.hpp"
#include "relay/agent/agent_error.hpp"
#include "relay/agent/tunnel_name.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::agent {
namespace {

namespace protocol = net::protocol;
using ::testing::HasSubstr;

TEST(ConnectRequest, RoundTrip) {
  protocol::ConnectRequest r;
  r.agent_version = "0.1.0";
  r.tunnels = {{"myhook", "http", ""}, {"", "http", "hooks.example.com"}};
  r.resume = "sess-123";
  auto parsed = protocol::parse_connect_request(protocol::serialize(r));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->version, protocol::kVersion);
  EXPECT_EQ(parsed->agent_version, "0.1.0");
  ASSERT_EQ(parsed->tunnels.size(), 2u);
  EXPECT_EQ(parsed->tunnels[0].name, "myhook");
  EXPECT_EQ(parsed->tunnels[1].hostname, "hooks.example.com");
  EXPECT_EQ(parsed->resume, "sess-123");

  r.resume.reset();
  parsed = protocol::parse_connect_request(protocol::serialize(r));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_FALSE(parsed->resume);
}

TEST(ConnectRequest, RefusalsAreClassified) {
  auto auth = classify_connect_refusal(
      401, protocol::serialize(protocol::ErrorBody{"RELAY_AUTH_FAILED", "unknown authtoken"}));
  EXPECT_TRUE(auth.permanent);
  EXPECT_EQ(auth.ec, AgentErrc::authentication_failed);
  EXPECT_THAT(auth.message, HasSubstr("authentication failed: unknown authtoken"));

  auto taken =
      classify_connect_refusal(409, protocol::serialize(protocol::ErrorBody{
                                        "RELAY_NAME_TAKEN", "tunnel name 'myhook' is in use"}));
  EXPECT_TRUE(taken.permanent);
  EXPECT_EQ(taken.ec, AgentErrc::name_taken);
  EXPECT_THAT(taken.message, HasSubstr("myhook"));

  auto bad = classify_connect_refusal(400, "not json");
  EXPECT_TRUE(bad.permanent);
  EXPECT_THAT(bad.message, HasSubstr("the edge answered 400"));

  auto busy = classify_connect_refusal(503, "");
  EXPECT_FALSE(busy.permanent);
}

TEST(ConnectRequest, TooManyAuthFailuresIsRetriedAfterRetryAfter) {
  auto body = protocol::serialize(
      protocol::ErrorBody{"too_many_auth_failures", "too many failed authtoken attempts"});
  auto limited = classify_connect_refusal(429, body, "42");
  EXPECT_FALSE(limited.permanent) << "not an exit, as for 401";
  EXPECT_EQ(limited.retry_after, std::chrono::seconds(42));
  EXPECT_THAT(limited.message, HasSubstr("too many failed authtoken attempts"));
  EXPECT_EQ(classify_connect_refusal(429, body, "").retry_after, std::chrono::seconds(60));
  EXPECT_EQ(classify_connect_refusal(429, body, "99999999").retry_after,
            std::chrono::seconds(3600));
  EXPECT_EQ(classify_connect_refusal(429, body, "Wed, 21 Oct 2015 07:28:00 GMT").retry_after,
            std::chrono::seconds(60));
  EXPECT_EQ(classify_connect_refusal(503, "").retry_after, std::chrono::seconds(0));
}

TEST(ControlMessage, SessionAndBindRoundTrip) {
  protocol::ControlMessage m =
      protocol::SessionMessage{"s1", {{"abc", "http://abc.localhost:8080"}}};
  auto line = protocol::serialize(m);
  ASSERT_EQ(line.back(), '\n');
  auto parsed = protocol::parse_control_message(line);
  ASSERT_TRUE(parsed) << parsed.error().message;
  auto* s = std::get_if<protocol::SessionMessage>(&*parsed);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->tunnels.at(0).public_url, "http://abc.localhost:8080");
  parsed = protocol::parse_control_message(
      protocol::serialize(protocol::BindMessage{{{"two", "http", ""}}}));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(std::get<protocol::BindMessage>(*parsed).tunnels.at(0).name, "two");
}

TEST(RequestedName, FromUrlFlag) {
  EXPECT_EQ(requested_tunnel_name("").value(), "");
  EXPECT_EQ(requested_tunnel_name("myhook").value(), "myhook");
  EXPECT_EQ(requested_tunnel_name("https://myhook.relay.example.com").value(), "myhook");
  EXPECT_EQ(requested_tunnel_name("MyHook.relay.example.com/").value(), "myhook");
  auto bad = requested_tunnel_name("-bad");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("not valid"));
  EXPECT_FALSE(requested_tunnel_name("my_hook"));
}

TEST(EdgeEndpoint, Parse) {
  auto a = parse_edge_endpoint("relay.example.com:4443");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "relay.example.com");
  EXPECT_EQ(a->port, "4443");
  EXPECT_EQ(parse_edge_endpoint("relay.example.com").value().port, "4443");
  EXPECT_EQ(parse_edge_endpoint("[::1]:5000").value().host, "::1");
  auto out_of_range = parse_edge_endpoint("host:99999");
  ASSERT_FALSE(out_of_range);
  EXPECT_THAT(out_of_range.error().message, HasSubstr("HOST:PORT"));
  EXPECT_FALSE(parse_edge_endpoint(""));
}

}  // namespace
}  // namespace relay::agent
