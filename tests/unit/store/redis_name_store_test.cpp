// cluster: names. RedisNameStore's operator side (`relay edge names --cluster`) against a real
// redis-server: every owned name listed from Redis itself, and a release that says whose it was.
#include "relay/store/redis/redis_name_store.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/store/redis_server.hpp"

namespace relay::store::redis {
namespace {

using RedisNameStoreTest = test::RedisClientTest;

TEST_F(RedisNameStoreTest, ListsEveryOwnedNameFromRedisNotTheCache) {
  // Claimed by two "edges": the second store's cache knows none of the first's names.
  RedisNameStore edge_a(redis_);
  RedisNameStore edge_b(redis_);
  ASSERT_TRUE(run([&]() { return edge_a.claim_async({"shop", "api"}, "owner-a"); }));
  ASSERT_TRUE(run([&]() { return edge_b.claim_async({"billing"}, "owner-b"); }));
  ASSERT_TRUE(edge_b.list());
  EXPECT_EQ(edge_b.list()->size(), 1u);

  auto all = run([&]() { return edge_b.list_all(); });
  ASSERT_TRUE(all) << all.error().message();
  std::vector<std::string> names;
  for (const auto& r : *all) names.push_back(r.name + "=" + r.owner);
  EXPECT_EQ(names, (std::vector<std::string>{"api=owner-a", "billing=owner-b", "shop=owner-a"}));
  EXPECT_GT(all->front().claimed_at, 0);
}

TEST_F(RedisNameStoreTest, ReleaseReturnsTheOwnerOnceAndFreesTheName) {
  RedisNameStore store(redis_);
  ASSERT_TRUE(run([&]() { return store.claim_async({"shop"}, "owner-a"); }));
  auto released = run([&]() { return store.release_async("shop"); });
  ASSERT_TRUE(released);
  EXPECT_EQ(*released, std::optional<std::string>("owner-a"));
  auto again = run([&]() { return store.release_async("shop"); });
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, std::nullopt);
  EXPECT_TRUE(run([&]() { return store.list_all(); })->empty());
  // Free for the next token, which now owns it.
  ASSERT_TRUE(run([&]() { return store.claim_async({"shop"}, "owner-b"); }));
  EXPECT_EQ(store.owner("shop")->value_or(""), "owner-b");
}

TEST_F(RedisNameStoreTest, RedisGoneIsAnErrorNotAnEmptyList) {
  RedisNameStore store(redis_);
  server_->stop();
  EXPECT_FALSE(run([&]() { return store.list_all(); }));
  EXPECT_FALSE(run([&]() { return store.release_async("shop"); }));
}

}  // namespace
}  // namespace relay::store::redis
