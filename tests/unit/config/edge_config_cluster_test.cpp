// cluster: redis: the edge.yml `cluster:` map (docs/cluster.md). Values are kept as written;
// the CLI checks and resolves them together with the flags.
#include <gtest/gtest.h>

#include "relay/config/edge_config.hpp"

namespace relay::config {
namespace {

EdgeConfigLoad parse(std::string text) {
  return parse_edge_config(
      {std::make_shared<ConfigSource>(ConfigSource{"edge.yml", std::move(text), false})});
}

TEST(EdgeConfigCluster, ReadsEveryKey) {
  auto load = parse(R"(cluster:
  redis: redis://:env:REDIS_PASSWORD@10.0.0.5:6379/2
  edge_id: edge-a
  secret: file:/etc/relay/cluster-secret
)");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  const auto& cluster = load.options.cluster;
  EXPECT_TRUE(cluster.enabled());
  EXPECT_EQ(cluster.redis_url, "redis://:env:REDIS_PASSWORD@10.0.0.5:6379/2");
  EXPECT_EQ(cluster.edge_id, "edge-a");
  EXPECT_EQ(cluster.secret, "file:/etc/relay/cluster-secret");
}

// cluster: peer link
TEST(EdgeConfigCluster, ReadsThePeerLinkKeys) {
  auto load = parse(R"(cluster:
  redis: redis://10.0.0.5:6379/0
  secret: env:RELAY_CLUSTER_SECRET
  peer_listen: 0.0.0.0:7443
  peer_advertise: 10.0.0.1:7443
)");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  EXPECT_EQ(load.options.cluster.peer_listen, "0.0.0.0:7443");
  EXPECT_EQ(load.options.cluster.peer_advertise, "10.0.0.1:7443");
}

TEST(EdgeConfigCluster, OffWithoutTheMap) {
  auto load = parse("domain: relay.example.com\n");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  EXPECT_FALSE(load.options.cluster.enabled());
}

TEST(EdgeConfigCluster, RefusesBadValuesWithTheirKey) {
  auto load = parse("cluster:\n  redis: http://x:1/0\n  secret: hunter2\n  peer: x\n");
  ASSERT_FALSE(load.ok());
  const auto text = load.diagnostics.to_string();
  EXPECT_NE(text.find("cluster.redis"), std::string::npos) << text;
  EXPECT_NE(text.find("cluster.secret"), std::string::npos) << text;
  EXPECT_NE(text.find("peer"), std::string::npos) << text;
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << "a secret must not be echoed: " << text;
}

}  // namespace
}  // namespace relay::config
