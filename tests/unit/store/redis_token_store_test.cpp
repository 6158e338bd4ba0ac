// cluster: tokens. The encoding of `relay:tokens` values (docs/cluster.md "Authtokens in Redis").
#include <gtest/gtest.h>

#include "relay/store/redis/redis_token_store.hpp"

namespace relay::store::redis {
namespace {

TEST(RedisTokenRecord, RoundTripsLabelAndReservedNames) {
  TokenRecord record{"ci bot", {"shop", "api"}};
  const std::string text = RedisTokenStore::encode(record);
  EXPECT_EQ(text, R"({"label":"ci bot","reserved":["shop","api"]})");
  auto back = RedisTokenStore::decode(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, record);
}

TEST(RedisTokenRecord, NoReservedNamesIsAnEmptyList) {
  auto back = RedisTokenStore::decode(RedisTokenStore::encode({"tok-abcd1234", {}}));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->label, "tok-abcd1234");
  EXPECT_TRUE(back->reserved_names.empty());
  // Written without the list (by hand, redis-cli) decodes the same.
  EXPECT_TRUE(RedisTokenStore::decode(R"({"label":"x"})"));
}

TEST(RedisTokenRecord, AnythingElseDecodesToNothing) {
  for (std::string_view bad :
       {"", "relay_secret", "{", "[]", R"({"label":1})", R"({})",
        R"({"label":"x","reserved":"shop"})", R"({"label":"x","reserved":[1]})"}) {
    EXPECT_FALSE(RedisTokenStore::decode(bad)) << bad;
  }
}

TEST(RedisTokenRecord, FieldsAreLowerCaseSha256Hex) {
  EXPECT_TRUE(RedisTokenStore::is_token_hash(std::string(64, 'a')));
  EXPECT_FALSE(RedisTokenStore::is_token_hash(std::string(64, 'A')));
  EXPECT_FALSE(RedisTokenStore::is_token_hash(std::string(63, 'a')));
  EXPECT_FALSE(RedisTokenStore::is_token_hash("relay_" + std::string(58, 'a')));
}

}  // namespace
}  // namespace relay::store::redis
