#include "relay/config/edge_config.hpp"

#include <gtest/gtest.h>

#include "relay/config/byte_size.hpp"
#include "relay/config/edge_token_store.hpp"
#include "relay/verify/crypto.hpp"

namespace relay::config {
namespace {

EdgeConfigLoad parse(std::string text) {
  return parse_edge_config(
      {std::make_shared<ConfigSource>(ConfigSource{"edge.yml", std::move(text), false})});
}

const std::string kHash(64, 'a');

// state (hardening item 3)
TEST(EdgeConfig, StateDir) {
  auto load = parse("state_dir: /var/lib/relay-edge\n");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  EXPECT_EQ(load.options.state_dir, "/var/lib/relay-edge");
  EXPECT_FALSE(parse("state_dir: \"\"\n").ok());
}

// durable delivery: store
TEST(EdgeConfig, StoreMaxSize) {
  auto load = parse("store_max_size: 2GiB\n");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  EXPECT_EQ(load.options.store_max_bytes, 2ULL << 30);
  EXPECT_EQ(parse("{}\n").options.store_max_bytes, 0u);
  auto bad = parse("store_max_size: lots\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.diagnostics.to_string().find("store_max_size"), std::string::npos);
  EXPECT_EQ(parse_byte_size("512 MiB"), std::optional<std::uint64_t>(512ULL << 20));
  EXPECT_FALSE(parse_byte_size("-1").has_value());
}

TEST(EdgeConfig, ParsesEveryKey) {
  auto load = parse(R"(version: "1"
domain: relay.example.com
listen: 0.0.0.0:80
listen_tls: ["0.0.0.0:443", "[::]:443"]
agent_listen: :4443
public_port: 443
tls_cert: /c.pem
tls_key: /k.pem
resume_grace: 2m
ping_interval: 500ms
authtokens:
  - label: laptop
    sha256: )" + kHash +
                    R"(
    reserved: [myapp, api]
limits:
  max_header_bytes: 32KiB
  max_body_bytes: 10MiB
  header_timeout: 5s
  max_sessions: 100
log_level: debug
)");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  const auto& o = load.options;
  EXPECT_EQ(o.domain, "relay.example.com");
  EXPECT_EQ(o.listen, std::vector<std::string>{"0.0.0.0:80"});
  EXPECT_EQ(o.listen_tls.size(), 2U);
  EXPECT_EQ(o.agent_listen, ":4443");
  EXPECT_EQ(o.public_port, 443);
  EXPECT_EQ(o.tls_cert_file, "/c.pem");
  EXPECT_EQ(o.resume_grace, std::chrono::seconds{120});
  EXPECT_EQ(o.ping_interval, std::chrono::milliseconds{500});
  ASSERT_EQ(o.authtokens.size(), 1U);
  EXPECT_EQ(o.authtokens[0].label, "laptop");
  EXPECT_EQ(o.authtokens[0].sha256_hex, kHash);
  EXPECT_EQ(o.authtokens[0].reserved_names, (std::vector<std::string>{"myapp", "api"}));
  EXPECT_EQ(o.limits.max_header_bytes, 32U * 1024);
  EXPECT_EQ(o.limits.max_body_bytes, 10U * 1024 * 1024);
  EXPECT_EQ(o.limits.header_timeout, std::chrono::seconds{5});
  EXPECT_EQ(o.limits.max_sessions, 100U);
  EXPECT_EQ(o.limits.idle_timeout, std::chrono::seconds{75});  // default kept
  EXPECT_EQ(load.log_level, "debug");
}

TEST(EdgeConfig, ReportsBadValuesWithLocations) {
  auto load = parse(R"(domain: "*.example.com"
listen_tls: [0.0.0.0:443]
authtokens:
  - label: a
    sha256: not-a-hash
  - label: b
    sha256: )" + kHash +
                    R"(
    reserved: [x]
  - label: b
    sha256: )" + kHash +
                    R"(
    reserved: [x]
limits:
  idle_timout: 5s
  header_timeout: soon
)");
  std::vector<std::string> got;
  for (const auto& d : load.diagnostics.all()) got.push_back(d.to_string());
  const std::vector<std::string> expected = {
      "edge.yml:1:9: error: domain: expected a bare domain such as relay.example.com (tunnels "
      "become <name>.relay.example.com), got '*.example.com'",
      "edge.yml:2:13: error: listen_tls: HTTPS listeners need a certificate; add tls_cert and "
      "tls_key (a wildcard certificate for *.<domain>)",
      "edge.yml:5:13: error: authtokens[0].sha256: expected the token's SHA-256 as 64 lower-case "
      "hex digits (never the token itself); `relay edge token add` writes it",
      "edge.yml:9:12: error: authtokens[2].label: duplicate label 'b' (first at line 6); labels "
      "name tokens for revoke",
      "edge.yml:11:15: error: authtokens[2].reserved: the name 'x' is already reserved by token "
      "'b'; a name belongs to one token",
      "edge.yml:13:3: error: limits.idle_timout: unknown key 'idle_timout'; did you mean "
      "'idle_timeout'?",
      "edge.yml:14:19: error: limits.header_timeout: expected a duration such as 30s, 5m, 1h or "
      "500ms, got 'soon'",
  };
  EXPECT_EQ(got, expected);
}

// public-limits: the per-client caps, the body rate and the trusted proxies.
TEST(EdgeConfig, ParsesThePublicLimits) {
  auto load = parse(R"(limits:
  body_min_rate: 2KiB
  body_rate_grace: 20s
  max_connections_per_ip: 0
  max_requests_per_ip: 64
  max_streams_per_session: 500
  stream_wait: 1s
  handshake_timeout: 5s
  max_pending_handshakes: 100
  max_pending_handshakes_per_ip: 4
trusted_proxies: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7]
)");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  const auto& l = load.options.limits;
  EXPECT_EQ(l.body_min_rate, 2048U);
  EXPECT_EQ(l.body_rate_grace, std::chrono::seconds{20});
  EXPECT_EQ(l.max_connections_per_ip, 0U);
  EXPECT_EQ(l.max_requests_per_ip, 64U);
  EXPECT_EQ(l.max_streams_per_session, 500U);
  EXPECT_EQ(l.stream_wait, std::chrono::seconds{1});
  EXPECT_EQ(l.handshake_timeout, std::chrono::seconds{5});
  EXPECT_EQ(l.max_pending_handshakes, 100U);
  EXPECT_EQ(l.max_pending_handshakes_per_ip, 4U);
  EXPECT_EQ(load.options.trusted_proxies,
            (std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"}));
}

TEST(EdgeConfig, RefusesABadTrustedProxy) {
  auto load = parse("trusted_proxies: [10.0.0.0/40]\n");
  ASSERT_FALSE(load.ok());
  EXPECT_NE(load.diagnostics.to_string().find("trusted_proxies"), std::string::npos);
  EXPECT_NE(load.diagnostics.to_string().find("0 to 32"), std::string::npos);
}

TEST(EdgeConfig, TheExampleConfigIsValid) {
  auto load = load_edge_config({RELAY_SOURCE_DIR "/config/edge.yml"});
  EXPECT_TRUE(load.ok()) << load.diagnostics.to_string();
  EXPECT_EQ(load.options.domain, "relay.example.com");
}

TEST(EdgeTokenStore, GeneratedTokensAreLongAndDistinct) {
  const auto a = generate_token();
  const auto b = generate_token();
  EXPECT_TRUE(a.starts_with("relay_"));
  EXPECT_EQ(a.size(), 6U + 43U);
  EXPECT_NE(a, b);
}

TEST(EdgeTokenStore, AddKeepsCommentsAndParsesBack) {
  const std::string text =
      "# my edge\ndomain: relay.example.com  # public\nauthtokens: []  # none yet\n\n# limits "
      "below\nlimits:\n  max_sessions: 5\n";
  edge::AuthToken token{verify::sha256_hex("t1"), "laptop", {"myapp"}};
  const auto added = add_token_entry(text, token);
  EXPECT_EQ(added,
            "# my edge\ndomain: relay.example.com  # public\nauthtokens:  # none yet\n  - label: "
            "\"laptop\"\n    sha256: \"" +
                token.sha256_hex +
                "\"\n    reserved: [\"myapp\"]\n\n# limits below\nlimits:\n  max_sessions: 5\n");
  const auto twice = add_token_entry(added, {verify::sha256_hex("t2"), "ci", {}});
  auto load = parse(twice);
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string() << twice;
  ASSERT_EQ(load.options.authtokens.size(), 2U);
  EXPECT_EQ(load.options.authtokens[1].label, "ci");
  EXPECT_EQ(load.options.limits.max_sessions, 5U);
  EXPECT_THROW(add_token_entry(twice, {verify::sha256_hex("t3"), "ci", {}}), std::invalid_argument);
}

TEST(EdgeTokenStore, AddCreatesTheListWhenMissing) {
  const auto text = add_token_entry("domain: d.example", {kHash, "x", {}});
  EXPECT_EQ(text,
            "domain: d.example\nauthtokens:\n  - label: \"x\"\n    sha256: \"" + kHash + "\"\n");
  EXPECT_THROW(add_token_entry("authtokens: [{label: a, sha256: b}]\n", {kHash, "x", {}}),
               std::invalid_argument);
}

TEST(EdgeTokenStore, RevokeRemovesOnlyThatEntry) {
  const std::string text = "authtokens:\n  # first\n  - label: a\n    sha256: \"" + kHash +
                           "\"\n  # second\n  - label: b\n    sha256: \"" + kHash +
                           "\"\n    reserved: [x]\n# end\nlimits: {}\n";
  const auto removed = remove_token_entry(text, "b");
  EXPECT_EQ(removed, "authtokens:\n  # first\n  - label: a\n    sha256: \"" + kHash +
                         "\"\n  # second\n# end\nlimits: {}\n");
  const auto first_removed = remove_token_entry(text, "a");
  auto load = parse(first_removed);
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  ASSERT_EQ(load.options.authtokens.size(), 1U);
  EXPECT_EQ(load.options.authtokens[0].label, "b");
  try {
    (void)remove_token_entry(text, "zzz");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "no token labelled 'zzz' (labels: a, b); see `relay edge token list`");
  }
}

}  // namespace
}  // namespace relay::config
