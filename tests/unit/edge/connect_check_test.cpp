#include "edge/connect_check.hpp"

#include <gtest/gtest.h>

namespace relay::edge {
namespace {

constexpr std::string_view kBody =
    R"({"version":1,"agent_version":"0.1.0","tunnels":[{"name":"hook","proto":"http"}],"resume":null})";

class ConnectCheckTest : public ::testing::Test {
 protected:
  AuthTokens tokens_{{make_auth_token("good-token")}};
  ConnectHead head_{"POST", "/_relay/v1/connect", "Bearer good-token", "relay-h2"};

  Refusal refusal(const ConnectHead& head, std::string_view body, bool anonymous = false) {
    auto v = check_connect(head, body, tokens_, anonymous);
    EXPECT_FALSE(v);
    return v ? Refusal{0, "", ""} : v.error();
  }
};

TEST_F(ConnectCheckTest, AcceptsAValidRequest) {
  auto v = check_connect(head_, kBody, tokens_, false);
  ASSERT_TRUE(v.has_value());
  auto& a = v.value();
  ASSERT_NE(a.token, nullptr);
  ASSERT_EQ(a.request.tunnels.size(), 1u);
  EXPECT_EQ(a.request.tunnels[0].name, "hook");
  EXPECT_FALSE(a.request.resume);
}

TEST_F(ConnectCheckTest, BearerSchemeIsCaseInsensitive) {
  auto head = head_;
  head.authorization = "bearer   good-token ";
  EXPECT_TRUE(check_connect(head, kBody, tokens_, false).has_value());
}

TEST_F(ConnectCheckTest, MissingOrWrongTokenIs401) {
  auto head = head_;
  head.authorization = "";
  auto r = refusal(head, kBody);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.message.find("--authtoken"), std::string::npos);
  head.authorization = "Bearer wrong";
  EXPECT_EQ(refusal(head, kBody).status, 401);
  head.authorization = "Basic good-token";
  EXPECT_EQ(refusal(head, kBody).status, 401);
}

TEST_F(ConnectCheckTest, AnonymousWhenAllowed) {
  auto head = head_;
  head.authorization = "";
  auto v = check_connect(head, kBody, tokens_, true);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v.value().token, nullptr);
}

TEST_F(ConnectCheckTest, WrongPathMethodOrUpgrade) {
  auto head = head_;
  head.target = "/";
  EXPECT_EQ(refusal(head, kBody).status, 404);
  head = head_;
  head.method = "GET";
  EXPECT_EQ(refusal(head, kBody).status, 405);
  head = head_;
  head.upgrade = "websocket";
  EXPECT_EQ(refusal(head, kBody).status, 400);
}

TEST_F(ConnectCheckTest, MalformedBodyOrVersionIs400) {
  EXPECT_EQ(refusal(head_, "{not json").code, "bad_request");
  EXPECT_EQ(refusal(head_, "[]").code, "bad_request");
  EXPECT_EQ(refusal(head_, R"({"tunnels":[]})").code, "bad_request");
  auto r = refusal(head_, R"({"version":2,"tunnels":[]})");
  EXPECT_EQ(r.code, "unsupported_version");
  EXPECT_EQ(r.status, 400);
}

TEST_F(ConnectCheckTest, AuthIsCheckedBeforeTheBody) {
  auto head = head_;
  head.authorization = "Bearer wrong";
  EXPECT_EQ(refusal(head, "{not json").status, 401);  // no parsing for strangers
}

}  // namespace
}  // namespace relay::edge
