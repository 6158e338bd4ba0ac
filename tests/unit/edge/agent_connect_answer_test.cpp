#include "edge/agent_connect_answer.hpp"

#include <gtest/gtest.h>
#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

#include "relay/edge/auth_token.hpp"

namespace relay::edge {
namespace {

namespace http = boost::beast::http;
namespace protocol = net::protocol;

// serve_agent's decisions, one test per decision, without a socket.

TEST(AgentConnectAnswer, AnOversizedRequestIs413AndGarbageIs400) {
  auto too_large = connect_read_refusal(http::error::body_limit);
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413);
  EXPECT_EQ(too_large->code, "too_large");
  EXPECT_EQ(connect_read_refusal(http::error::header_limit)->status, 413);
  auto garbage = connect_read_refusal(http::error::bad_method);
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_EQ(garbage->code, "bad_request");
}

TEST(AgentConnectAnswer, AnAgentThatLeftGetsNoAnswer) {
  EXPECT_FALSE(connect_read_refusal(http::error::end_of_stream));
  EXPECT_FALSE(connect_read_refusal(boost::asio::error::operation_aborted));  // deadline
  EXPECT_FALSE(connect_read_refusal(boost::asio::error::bad_descriptor));     // closed under it
}

ConnectAccepted accepted(std::vector<protocol::TunnelRequest> tunnels) {
  ConnectAccepted a;
  a.request.tunnels = std::move(tunnels);
  return a;
}

TEST(AgentConnectAnswer, CheckConnectsRefusalIsKept) {
  auto plan =
      plan_connect(Refusal{401, "unauthorized", "no authtoken"}, false, HostRouter("example.com"));
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().status, 401);
  EXPECT_EQ(refusal_report(plan.error()), RefusalReport::auth_failure);
}

TEST(AgentConnectAnswer, AStoppingEdgeRefusesWith503) {
  auto plan = plan_connect(accepted({{"hook", "http", ""}}), true, HostRouter("example.com"));
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().status, 503);
  EXPECT_EQ(plan.error().code, "shutting_down");
  EXPECT_EQ(refusal_report(plan.error()), RefusalReport::warning);
}

TEST(AgentConnectAnswer, HostnamesBecomeNames) {
  auto plan = plan_connect(accepted({{"", "http", "Hook.Example.com"}, {"two", "http", ""}}), false,
                           HostRouter("example.com"));
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->request.tunnels.size(), 2U);
  EXPECT_EQ(plan->request.tunnels[0].name, "hook");
  EXPECT_EQ(plan->request.tunnels[0].hostname, "");
  EXPECT_EQ(plan->request.tunnels[1].name, "two");
  EXPECT_EQ(plan->ip_rules.size(), 2U);  // one per tunnel, in order
}

TEST(AgentConnectAnswer, AHostnameOutsideTheDomainIs400) {
  auto elsewhere =
      plan_connect(accepted({{"", "http", "hook.other.org"}}), false, HostRouter("example.com"));
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.error().status, 400);
  EXPECT_EQ(elsewhere.error().code, "bad_hostname");
  EXPECT_NE(elsewhere.error().message.find("use NAME.example.com"), std::string::npos);
  // A name and a hostname that disagree.
  auto clash = plan_connect(accepted({{"one", "http", "two.example.com"}}), false,
                            HostRouter("example.com"));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, "bad_hostname");
}

TEST(AgentConnectAnswer, ABadIpRuleIs400) {
  protocol::TunnelRequest tunnel{"hook", "http", ""};
  tunnel.ip_deny = {"10.0.0.300"};
  auto plan = plan_connect(accepted({tunnel}), false, HostRouter("example.com"));
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().status, 400);
  EXPECT_EQ(plan.error().code, "bad_ip_rule");
  EXPECT_NE(plan.error().message.find("ip_deny '10.0.0.300'"), std::string::npos);
}

TEST(AgentConnectAnswer, TheTokenIsNamedByItsLabel) {
  EXPECT_EQ(token_label(nullptr), "anonymous");
  auto token = make_auth_token("secret-token", "ci");
  EXPECT_EQ(token_label(&token), "ci");
  auto plan = plan_connect(
      [&] {
        auto a = accepted({});
        a.token = &token;
        return a;
      }(),
      false, HostRouter("example.com"));
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->token, &token);
}

TEST(AgentConnectAnswer, OutcomesAreCountedByKind) {
  SessionRegistry::Grant grant;
  EXPECT_EQ(connect_outcome(grant), "connected");
  grant.resumed = true;
  EXPECT_EQ(connect_outcome(grant), "resumed");
}

TEST(AgentConnectAnswer, OnlyA401GoesThroughTheAuthLimiter) {
  EXPECT_EQ(refusal_report({401, "unauthorized", ""}), RefusalReport::auth_failure);
  for (int status : {400, 404, 405, 409, 413, 429, 503}) {
    EXPECT_EQ(refusal_report({status, "x", ""}), RefusalReport::warning) << status;
  }
}

TEST(AgentConnectAnswer, TheRefusalIsJsonAndClosesTheConnection) {
  const std::string answer = refusal_response({409, "name_in_use", "tunnel name 'a' is in use"});
  const std::string body =
      protocol::serialize(protocol::ErrorBody{"name_in_use", "tunnel name 'a' is in use"});
  EXPECT_EQ(answer.rfind("HTTP/1.1 409 Conflict\r\n", 0), 0U) << answer;
  EXPECT_NE(answer.find("content-type: application/json\r\n"), std::string::npos);
  EXPECT_NE(answer.find("content-length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos);
  EXPECT_NE(answer.find("connection: close\r\n"), std::string::npos);
  EXPECT_EQ(answer.find("retry-after"), std::string::npos);
  EXPECT_EQ(answer.substr(answer.size() - body.size()), body);
  auto parsed = protocol::parse_error_body(body);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->code, "name_in_use");
}

TEST(AgentConnectAnswer, ABlockedAddressIsToldWhenToRetry) {
  const std::string answer =
      refusal_response({429, "too_many_auth_failures", "wait"}, std::chrono::seconds(42));
  EXPECT_EQ(answer.rfind("HTTP/1.1 429 ", 0), 0U) << answer;
  EXPECT_NE(answer.find("retry-after: 42\r\n\r\n"), std::string::npos) << answer;
}

}  // namespace
}  // namespace relay::edge
