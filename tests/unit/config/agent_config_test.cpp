#include "relay/config/agent_config.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace relay::config {
namespace {

std::shared_ptr<const ConfigSource> source(std::string name, std::string text,
                                           bool world_readable = false) {
  return std::make_shared<ConfigSource>(
      ConfigSource{std::move(name), std::move(text), world_readable});
}

AgentConfigLoad parse(std::string text, bool world_readable = false) {
  return parse_agent_config({source("relay.yml", std::move(text), world_readable)},
                            builtin_provider_check());
}

std::vector<std::string> lines(const Diagnostics& diagnostics) {
  std::vector<std::string> out;
  for (const auto& d : diagnostics.all()) out.push_back(d.to_string());
  return out;
}

constexpr const char* kGood = R"(version: "2"
authtoken: "secret-token"
edge: relay.example.com:4443
inspect_addr: 127.0.0.1:4041
log_level: debug
tunnels:
  web:
    addr: 3000
    url: web
  tiktok:
    proto: http
    addr: http://localhost:8080
    host_header: rewrite
    verify_webhook:
      provider: tiktok
      secret: env:RELAY_TEST_TIKTOK_SECRET
      tolerance: 5m
    basic_auth: ["admin:pw"]
    request_header:
      add: ["X-Env: test"]
      remove: [Cookie]
)";

TEST(AgentConfig, ParsesAGoodFile) {
  auto load = parse(kGood);
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  EXPECT_TRUE(load.diagnostics.all().empty()) << load.diagnostics.to_string();
  const auto& config = load.config;
  EXPECT_EQ(config.authtoken, "secret-token");
  EXPECT_EQ(config.edge, "relay.example.com:4443");
  EXPECT_EQ(config.inspect_addr, "127.0.0.1:4041");
  EXPECT_EQ(config.log_level, "debug");
  ASSERT_EQ(config.tunnels.size(), 2U);
  EXPECT_EQ(config.tunnels[0].name, "web");
  EXPECT_EQ(config.tunnels[0].addr, "3000");
  EXPECT_EQ(config.tunnels[0].at.line, 7);
  const auto& tiktok = config.tunnels[1];
  ASSERT_TRUE(tiktok.verify_webhook);
  EXPECT_EQ(tiktok.verify_webhook->provider, "tiktok");
  EXPECT_EQ(tiktok.verify_webhook->secret, "env:RELAY_TEST_TIKTOK_SECRET");
  EXPECT_EQ(tiktok.verify_webhook->tolerance, std::chrono::seconds{300});
  ASSERT_TRUE(tiktok.basic_auth);
  EXPECT_EQ(tiktok.basic_auth->user, "admin");
  EXPECT_EQ(tiktok.basic_auth->password, "pw");
  ASSERT_EQ(tiktok.request_header_add.size(), 1U);
  EXPECT_EQ(tiktok.request_header_add[0].first, "X-Env");
  EXPECT_EQ(tiktok.request_header_add[0].second, "test");
  EXPECT_EQ(tiktok.request_header_remove, std::vector<std::string>{"Cookie"});
}

TEST(AgentConfig, ReportsEveryProblemWithFileLineColumnKeyAndExpectation) {
  auto load = parse(R"(version: "2"
authtokn: abc
inspect_addr: nowhere
tunnels:
  web:
    adr: 3000
  api:
    addr: localhost:99999
    verify_webhook:
      provider: tiktokk
      secret: s
      enforce: maybe
  Bad_Name:
    addr: 3000
)");
  EXPECT_FALSE(load.ok());
  const auto got = lines(load.diagnostics);
  const std::vector<std::string> expected = {
      "relay.yml:2:1: error: authtokn: unknown key 'authtokn'; did you mean 'authtoken'?",
      "relay.yml:3:15: error: inspect_addr: expected host:port (0.0.0.0:443, 127.0.0.1:4040, "
      "[::]:443) or :port (the port is missing) or false, got 'nowhere'",
      "relay.yml:6:5: error: tunnels.web.adr: unknown key 'adr'; did you mean 'addr'?",
      "relay.yml:6:5: error: tunnels.web: missing 'addr': where to forward, e.g. addr: 3000",
      "relay.yml:8:11: error: tunnels.api.addr: port 99999 in upstream 'localhost:99999' is out "
      "of range: use a port from 1 to 65535, got 'localhost:99999'",
  };
  ASSERT_GE(got.size(), expected.size()) << load.diagnostics.to_string();
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(got[i], expected[i]);
  const std::string all = load.diagnostics.to_string();
  EXPECT_NE(all.find("relay.yml:10:17: error: tunnels.api.verify_webhook.provider: unknown "
                     "provider 'tiktokk'; expected one of: "),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("relay.yml:12:16: error: tunnels.api.verify_webhook.enforce: expected "
                     "true or false, got 'maybe'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("relay.yml:14:5: error: tunnels.Bad_Name: the tunnel name 'Bad_Name' must "
                     "be lower-case letters"),
            std::string::npos)
      << all;
  EXPECT_EQ(load.diagnostics.error_count(), 8U) << all;
}

TEST(AgentConfig, WrongTypesSayWhatWasExpectedAndFound) {
  auto load = parse("tunnels:\n  web: 3000\nedge_insecure: [1]\n");
  EXPECT_EQ(lines(load.diagnostics),
            (std::vector<std::string>{
                "relay.yml:2:8: error: tunnels.web: expected a map with at least addr (e.g. addr: "
                "3000), got '3000'",
                "relay.yml:3:16: error: edge_insecure: expected true or false, got a list"}));
}

TEST(AgentConfig, DuplicateTunnelNamesAreErrors) {
  auto load = parse("tunnels:\n  web:\n    addr: 3000\n  web:\n    addr: 3001\n");
  ASSERT_EQ(load.diagnostics.all().size(), 1U) << load.diagnostics.to_string();
  EXPECT_EQ(load.diagnostics.all()[0].to_string(),
            "relay.yml:4:3: error: tunnels.web: duplicate tunnel name 'web' (first defined at "
            "line 2); give each tunnel its own name");
}

TEST(AgentConfig, SyntaxErrorsPointAtTheText) {
  auto load = parse("tunnels:\n  web:\n    addr: [3000\n");
  ASSERT_FALSE(load.ok());
  const auto& d = load.diagnostics.all().at(0);
  EXPECT_EQ(d.where.file, "relay.yml");
  EXPECT_GT(d.where.line, 0);
  EXPECT_NE(d.message.find("not valid YAML"), std::string::npos);
}

TEST(AgentConfig, InlineSecretInWorldReadableFileIsAWarning) {
  auto load = parse(
      "authtoken: tok\ntunnels:\n  t:\n    addr: 3000\n    verify_webhook:\n      provider: "
      "tiktok\n      secret: shh\n",
      true);
  EXPECT_TRUE(load.ok());
  ASSERT_EQ(load.diagnostics.all().size(), 2U) << load.diagnostics.to_string();
  EXPECT_EQ(load.diagnostics.all()[1].to_string(),
            "relay.yml:7:15: warning: tunnels.t.verify_webhook.secret: the signing secret is "
            "written inline in a file every user can read; run `chmod 600 relay.yml` or use "
            "env:NAME / file:PATH");
  // env:/file: specs hold no secret: no warning.
  auto by_env = parse(
      "tunnels:\n  t:\n    addr: 3000\n    verify_webhook:\n      provider: "
      "tiktok\n      secret: env:X\n",
      true);
  EXPECT_TRUE(by_env.diagnostics.all().empty()) << by_env.diagnostics.to_string();
}

TEST(AgentConfig, InspectAddrFalseTurnsTheInspectorOff) {
  auto load = parse("inspect_addr: false\n");
  ASSERT_TRUE(load.ok());
  ASSERT_TRUE(load.config.inspect_addr);
  EXPECT_EQ(*load.config.inspect_addr, "");
  Diagnostics diagnostics;
  auto options = to_agent_options(load.config, {}, diagnostics);
  EXPECT_EQ(options.inspect_addr, "");
}

TEST(AgentConfig, LaterFilesOverrideKeyByKeyAndTunnelsMergeByName) {
  auto load = parse_agent_config(
      {source("base.yml",
              "authtoken: one\nedge: a.example:4443\ntunnels:\n  web:\n    addr: 3000\n    url: "
              "web\n  api:\n    addr: 4000\n"),
       source("local.yml",
              "edge: b.example:4443\ntunnels:\n  web:\n    addr: 3001\n  extra:\n "
              "   addr: 5000\n")},
      builtin_provider_check());
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  EXPECT_EQ(load.config.authtoken, "one");
  EXPECT_EQ(load.config.edge, "b.example:4443");
  ASSERT_EQ(load.config.tunnels.size(), 3U);
  EXPECT_EQ(load.config.tunnels[0].addr, "3001");
  EXPECT_EQ(load.config.tunnels[0].url, "web");  // kept from base.yml
  EXPECT_EQ(load.config.tunnels[0].at.file, "local.yml");
  EXPECT_EQ(load.config.tunnels[2].name, "extra");
}

TEST(AgentConfig, ProblemsNameTheFileTheValueCameFrom) {
  auto load = parse_agent_config({source("a.yml", "tunnels:\n  web:\n    addr: 3000\n"),
                                  source("b.yml", "tunnels:\n  web:\n    url: Not_Valid\n")});
  ASSERT_EQ(load.diagnostics.all().size(), 1U) << load.diagnostics.to_string();
  EXPECT_EQ(load.diagnostics.all()[0].where.file, "b.yml");
  EXPECT_EQ(load.diagnostics.all()[0].where.line, 3);
  EXPECT_EQ(load.diagnostics.all()[0].key, "tunnels.web.url");
}

TEST(AgentConfig, SecretsResolveFromEnvAndFile) {
  const auto dir = std::filesystem::temp_directory_path() / "relay_config_secret_test";
  std::filesystem::create_directories(dir);
  const auto secret_file = dir / "secret";
  std::ofstream{secret_file} << "from-file\n";
  ::setenv("RELAY_TEST_ENV_SECRET", "from-env", 1);
  auto load = parse(
      "tunnels:\n  a:\n    addr: 3000\n    verify_webhook: {provider: tiktok, "
      "secret: env:RELAY_TEST_ENV_SECRET}\n  b:\n    addr: 3001\n    "
      "verify_webhook: {provider: zoom, secret: \"file:" +
      secret_file.string() + "\"}\n  c:\n    addr: 3002\n");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  Diagnostics diagnostics;
  auto options = to_agent_options(load.config, {{"b", "a"}, false}, diagnostics);
  ASSERT_FALSE(diagnostics.has_errors()) << diagnostics.to_string();
  ASSERT_EQ(options.tunnels.size(), 2U);
  EXPECT_EQ(options.tunnels[0].name, "b");
  EXPECT_EQ(options.tunnels[0].verify_webhook->secret, "from-file");
  EXPECT_EQ(options.tunnels[1].verify_webhook->secret, "from-env");
  std::filesystem::remove_all(dir);
}

TEST(AgentConfig, UnsetEnvSecretAndUnknownTunnelAreReported) {
  ::unsetenv("RELAY_TEST_MISSING_SECRET");
  auto load = parse(
      "tunnels:\n  a:\n    addr: 3000\n    verify_webhook:\n      provider: tiktok\n"
      "      secret: env:RELAY_TEST_MISSING_SECRET\n");
  ASSERT_TRUE(load.ok());
  Diagnostics diagnostics;
  auto options = to_agent_options(load.config, {{"a", "nope"}, false}, diagnostics);
  EXPECT_TRUE(options.tunnels.empty());
  EXPECT_EQ(lines(diagnostics),
            (std::vector<std::string>{
                "relay.yml: error: tunnels.nope: no tunnel named 'nope' in the config (tunnels: "
                "a); add it under tunnels: or check the name",
                "relay.yml:6:15: error: tunnels.a.verify_webhook.secret: secret "
                "'env:RELAY_TEST_MISSING_SECRET': environment variable RELAY_TEST_MISSING_SECRET "
                "is not set; export it or pass the secret another way"}));
}

TEST(AgentConfig, AllSelectsEveryTunnelAndNoneSelectsNothing) {
  auto load = parse("tunnels:\n  a:\n    addr: 3000\n  b:\n    addr: 3001\n");
  Diagnostics diagnostics;
  EXPECT_EQ(to_agent_options(load.config, {{}, true}, diagnostics).tunnels.size(), 2U);
  EXPECT_TRUE(to_agent_options(load.config, {}, diagnostics).tunnels.empty());
  EXPECT_FALSE(diagnostics.has_errors());
}

TEST(AgentConfig, MissingFileSaysHowToCreateIt) {
  auto load = load_agent_config({"/nonexistent/relay.yml"});
  ASSERT_EQ(load.diagnostics.all().size(), 1U);
  EXPECT_EQ(load.diagnostics.all()[0].to_string(),
            "/nonexistent/relay.yml: error: cannot read the file: No such file or directory; "
            "create it (relay config add-authtoken TOKEN writes one) or pass another file with "
            "--config");
}

TEST(AgentConfig, EmptyFileIsAnEmptyConfig) {
  auto load = parse("# nothing yet\n");
  EXPECT_TRUE(load.ok());
  EXPECT_TRUE(load.config.tunnels.empty());
}

TEST(AgentConfig, TheExampleConfigIsValid) {
  auto load = load_agent_config({RELAY_SOURCE_DIR "/config/relay.yml"}, builtin_provider_check());
  EXPECT_TRUE(load.ok()) << load.diagnostics.to_string();
  EXPECT_GE(load.config.tunnels.size(), 2U);
}

// Issue 12 (agents on several edges): edges:, ha_connections:.
TEST(AgentConfig, EdgesAndHaConnectionsReachTheAgentOptions) {
  auto load = parse("edges: [a.example:4443, b.example:4443]\nha_connections: 3\n");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  Diagnostics diagnostics;
  auto options = to_agent_options(load.config, {}, diagnostics);
  EXPECT_EQ(options.edges, (std::vector<std::string>{"a.example:4443", "b.example:4443"}));
  EXPECT_EQ(options.ha_connections, 3U);
  auto single = parse("edge: a.example:4443\n");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(to_agent_options(single.config, {}, diagnostics).edges,
            (std::vector<std::string>{"a.example:4443"}));
}

TEST(AgentConfig, UpstreamTimeoutReachesTheAgentLimitsAndABadOneIsAnErrorAtItsLine) {
  auto load = parse("edge: a.example:4443\nupstream_timeout: 2m\n");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  Diagnostics diagnostics;
  EXPECT_EQ(to_agent_options(load.config, {}, diagnostics).limits.upstream_response_timeout,
            std::chrono::seconds(120));
  auto unset = parse("edge: a.example:4443\n");
  ASSERT_TRUE(unset.ok());
  EXPECT_EQ(to_agent_options(unset.config, {}, diagnostics).limits.upstream_response_timeout,
            agent::AgentLimits{}.upstream_response_timeout);
  for (const char* bad : {"0s", "2h", "1.5s", "soon"}) {
    auto refused = parse(std::string("edge: a.example:4443\nupstream_timeout: ") + bad + "\n");
    ASSERT_FALSE(refused.ok()) << bad;
    const auto text = refused.diagnostics.to_string();
    EXPECT_NE(text.find(":2:"), std::string::npos) << text;
    EXPECT_NE(text.find("upstream_timeout"), std::string::npos) << text;
    EXPECT_NE(text.find("1s to 1h"), std::string::npos) << text;
  }
}

TEST(AgentConfig, EdgeWithEdgesAndBadHaConnectionsAreErrorsAtTheirLines) {
  auto load = parse("edge: a.example:4443\nedges: [b.example:4443]\nha_connections: 9\n");
  ASSERT_FALSE(load.ok());
  const auto text = load.diagnostics.to_string();
  EXPECT_NE(text.find(":2:"), std::string::npos) << text;
  EXPECT_NE(text.find("not both"), std::string::npos) << text;
  EXPECT_NE(text.find("ha_connections"), std::string::npos) << text;
  EXPECT_NE(text.find("1 to 8"), std::string::npos) << text;
  EXPECT_FALSE(parse("edges: [\"not a host:port:x\"]\n").ok());
}

}  // namespace
}  // namespace relay::config
