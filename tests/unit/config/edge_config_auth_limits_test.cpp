// edge.yml keys of the failed-authtoken limiter (issue 10 item 8; docs/security.md).
#include <gtest/gtest.h>

#include "relay/config/edge_config.hpp"

namespace relay::config {
namespace {

EdgeConfigLoad parse(std::string text) {
  return parse_edge_config(
      {std::make_shared<ConfigSource>(ConfigSource{"edge.yml", std::move(text), false})});
}

TEST(EdgeConfigAuthLimits, DefaultsAndKeys) {
  auto defaults = parse("domain: relay.example.com\n");
  ASSERT_TRUE(defaults.ok()) << defaults.diagnostics.to_string();
  EXPECT_EQ(defaults.options.limits.auth_failures_per_minute, 10U);
  EXPECT_EQ(defaults.options.limits.auth_failure_block, std::chrono::seconds{60});

  auto set = parse(
      "domain: relay.example.com\nlimits:\n  auth_failures_per_minute: 60\n  "
      "auth_failure_block: 5m\n");
  ASSERT_TRUE(set.ok()) << set.diagnostics.to_string();
  EXPECT_EQ(set.options.limits.auth_failures_per_minute, 60U);
  EXPECT_EQ(set.options.limits.auth_failure_block, std::chrono::seconds{300});

  auto off = parse("domain: relay.example.com\nlimits:\n  auth_failures_per_minute: 0\n");
  ASSERT_TRUE(off.ok()) << off.diagnostics.to_string();
  EXPECT_EQ(off.options.limits.auth_failures_per_minute, 0U);

  auto bad = parse("domain: relay.example.com\nlimits:\n  auth_failures_per_minute: -1\n");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace relay::config
