#include "edge/auth_tokens.hpp"

#include <gtest/gtest.h>

#include "relay/verify/crypto.hpp"

namespace relay::edge {
namespace {

TEST(AuthTokens, FindsTokenByHashAndNeverStoresItInClear) {
  auto token = make_auth_token("s3cret-token");
  EXPECT_EQ(token.sha256_hex, verify::sha256_hex("s3cret-token"));
  EXPECT_EQ(token.label.rfind("tok-", 0), 0u);
  EXPECT_EQ(token.label.find("s3cret"), std::string::npos);

  AuthTokens tokens({make_auth_token("first", "ci"), token});
  const AuthToken* found = tokens.find("s3cret-token");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->sha256_hex, token.sha256_hex);
  ASSERT_NE(tokens.find("first"), nullptr);
  EXPECT_EQ(tokens.find("first")->label, "ci");
}

TEST(AuthTokens, RejectsWrongAndEmptyTokens) {
  AuthTokens tokens({make_auth_token("s3cret-token")});
  EXPECT_EQ(tokens.find("s3cret-tokem"), nullptr);
  EXPECT_EQ(tokens.find("s3cret-token "), nullptr);
  EXPECT_EQ(tokens.find(""), nullptr);
}

TEST(AuthTokens, AcceptsUpperCaseStoredHash) {
  AuthToken stored;
  stored.sha256_hex = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  AuthTokens tokens({stored});
  EXPECT_NE(tokens.find("abc"), nullptr);
}

// cluster: tokens. Redis's tokens are searched after edge.yml's and replaced by each refresh.
TEST(AuthTokens, ClusterTokensAreAcceptedUntilARefreshDropsThem) {
  AuthTokens tokens({make_auth_token("local", "file")});
  EXPECT_EQ(tokens.find("shared"), nullptr);
  tokens.add_cluster(make_auth_token("shared", "redis"));
  ASSERT_NE(tokens.find("shared"), nullptr);
  EXPECT_EQ(tokens.find("shared")->label, "redis");
  tokens.add_cluster(make_auth_token("shared", "renamed"));  // the same hash: updated, not doubled
  EXPECT_EQ(tokens.cluster().size(), 1U);
  EXPECT_EQ(tokens.find("shared")->label, "renamed");
  tokens.add_cluster(make_auth_token("local", "redis-copy"));  // edge.yml's entry wins
  EXPECT_EQ(tokens.find("local")->label, "file");
  tokens.set_cluster({});  // revoked in Redis
  EXPECT_EQ(tokens.find("shared"), nullptr);
  EXPECT_NE(tokens.find("local"), nullptr);
}

}  // namespace
}  // namespace relay::edge
