// relay.yml's durable delivery keys (docs/delivery.md): values, bounds, file:line errors.
#include <gtest/gtest.h>

#include "relay/config/agent_config.hpp"
#include "relay/config/buffer_settings.hpp"

namespace relay::config {
namespace {

AgentConfigLoad parse(std::string text) {
  return parse_agent_config(
      {std::make_shared<ConfigSource>(ConfigSource{"relay.yml", std::move(text), false})},
      builtin_provider_check());
}

TEST(AgentConfigBuffer, EveryKeyReachesThePolicy) {
  auto load = parse(R"(tunnels:
  hooks:
    addr: 3000
    buffer: always
    buffer_ttl: 2h
    buffer_max: 500
    buffer_status: 202
    buffer_concurrency: 2
    buffer_ordered: true
    buffer_resign: true
    buffer_dedupe_window: 30m
    verify_webhook:
      provider: github
      secret: s3cret
)");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  ASSERT_EQ(load.config.tunnels.size(), 1U);
  const auto& tunnel = load.config.tunnels[0];
  ASSERT_TRUE(tunnel.buffer);
  EXPECT_EQ(tunnel.buffer->mode, core::BufferMode::always);
  EXPECT_EQ(tunnel.buffer->ttl, std::chrono::hours(2));
  EXPECT_EQ(tunnel.buffer->max_events, 500U);
  EXPECT_EQ(tunnel.buffer->status, 202);
  EXPECT_EQ(tunnel.buffer->concurrency, 2);
  EXPECT_TRUE(tunnel.buffer->ordered);
  EXPECT_EQ(tunnel.buffer->dedupe_window, std::chrono::minutes(30));
  EXPECT_TRUE(tunnel.buffer_resign);

  Diagnostics diagnostics;
  auto options = to_tunnel_options(tunnel, diagnostics);
  ASSERT_TRUE(options) << diagnostics.to_string();
  EXPECT_EQ(options->buffer, tunnel.buffer);
  EXPECT_TRUE(options->buffer_resign);
}

TEST(AgentConfigBuffer, BufferAloneIsOfflineWithDefaultsAndOffIsUnset) {
  auto load = parse(
      "tunnels:\n  a:\n    addr: 3000\n    buffer: offline\n"
      "  b:\n    addr: 3001\n    buffer: off\n"
      "  c:\n    addr: 3002\n    buffer: true\n"
      "  d:\n    addr: 3003\n");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  ASSERT_EQ(load.config.tunnels.size(), 4U);
  ASSERT_TRUE(load.config.tunnels[0].buffer);
  EXPECT_EQ(*load.config.tunnels[0].buffer, core::BufferPolicy{.mode = core::BufferMode::offline});
  EXPECT_FALSE(load.config.tunnels[1].buffer);
  ASSERT_TRUE(load.config.tunnels[2].buffer);
  EXPECT_EQ(load.config.tunnels[2].buffer->mode, core::BufferMode::offline);
  EXPECT_FALSE(load.config.tunnels[3].buffer);
}

TEST(AgentConfigBuffer, BadValuesAreErrorsAtTheirLine) {
  auto load = parse(R"(tunnels:
  hooks:
    addr: 3000
    buffer: sometimes
    buffer_ttl: 9000h
    buffer_max: 0
    buffer_status: 302
    buffer_concurrency: 65
    buffer_ordered: maybe
    buffer_dedupe_window: soon
)");
  EXPECT_FALSE(load.ok());
  const std::string all = load.diagnostics.to_string();
  for (const char* expected : {
           "relay.yml:4:13: error: tunnels.hooks.buffer: expected offline, always or off, got "
           "'sometimes'",
           "relay.yml:5:17: error: tunnels.hooks.buffer_ttl: must be between 1s and 720h, got "
           "'9000h'",
           "relay.yml:6:17: error: tunnels.hooks.buffer_max: must be between 1 and 10000000 "
           "events, got '0'",
           "relay.yml:7:20: error: tunnels.hooks.buffer_status: must be a 2xx status (200-299), "
           "got '302'",
           "relay.yml:8:25: error: tunnels.hooks.buffer_concurrency: must be between 1 and 64, "
           "got '65'",
           "relay.yml:9:21: error: tunnels.hooks.buffer_ordered: expected true or false",
           "relay.yml:10:27: error: tunnels.hooks.buffer_dedupe_window: expected a duration",
       }) {
    EXPECT_NE(all.find(expected), std::string::npos) << expected << "\n---\n" << all;
  }
  EXPECT_EQ(load.diagnostics.error_count(), 7U) << all;
  EXPECT_FALSE(load.config.tunnels.at(0).buffer);
}

TEST(AgentConfigBuffer, SettingsWithoutBufferAreAWarning) {
  auto load = parse("tunnels:\n  a:\n    addr: 3000\n    buffer_ttl: 1h\n");
  EXPECT_TRUE(load.ok());
  const std::string all = load.diagnostics.to_string();
  EXPECT_NE(all.find("relay.yml:4:17: warning: tunnels.a.buffer_ttl: has no effect without "
                     "buffer: offline or always"),
            std::string::npos)
      << all;
  EXPECT_FALSE(load.config.tunnels.at(0).buffer);
}

TEST(AgentConfigBuffer, ResignNeedsAVerifierThatCanSign) {
  auto load = parse(
      "tunnels:\n  a:\n    addr: 3000\n    buffer: offline\n"
      "    buffer_resign: true\n");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  Diagnostics diagnostics;
  EXPECT_FALSE(to_tunnel_options(load.config.tunnels.at(0), diagnostics));
  EXPECT_NE(diagnostics.to_string().find("relay.yml:5:20: error: tunnels.a.buffer_resign: "
                                         "re-signing happens after verification"),
            std::string::npos)
      << diagnostics.to_string();
}

TEST(BufferSettings, Durations) {
  EXPECT_EQ(parse_duration("72h"), std::chrono::hours(72));
  EXPECT_EQ(parse_duration("90"), std::chrono::seconds(90));
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("h"));
  EXPECT_FALSE(parse_duration("1d"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("99999999999999999999s"));
}

}  // namespace
}  // namespace relay::config
