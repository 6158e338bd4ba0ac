// edge.yml's durable delivery key of the public side: limits.buffer_max_body (docs/delivery.md).
#include <gtest/gtest.h>

#include "relay/config/edge_config.hpp"

namespace relay::config {
namespace {

EdgeConfigLoad parse(std::string text) {
  return parse_edge_config(
      {std::make_shared<ConfigSource>(ConfigSource{"edge.yml", std::move(text), false})});
}

TEST(EdgeConfigBuffer, BufferMaxBodyDefaultAndKey) {
  auto defaults = parse("domain: relay.example.com\n");
  ASSERT_TRUE(defaults.ok()) << defaults.diagnostics.to_string();
  EXPECT_EQ(defaults.options.limits.buffer_max_body, 8U * 1024 * 1024);

  auto set = parse("domain: relay.example.com\nlimits:\n  buffer_max_body: 1MiB\n");
  ASSERT_TRUE(set.ok()) << set.diagnostics.to_string();
  EXPECT_EQ(set.options.limits.buffer_max_body, 1024U * 1024);

  auto bad = parse("domain: relay.example.com\nlimits:\n  buffer_max_body: lots\n");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace relay::config
