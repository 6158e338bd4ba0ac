#include "relay/agent/upstream_address.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relay::agent {
namespace {

using ::testing::HasSubstr;

UpstreamAddress parse_ok(std::string_view text) {
  auto a = parse_upstream_address(text);
  EXPECT_TRUE(a.has_value()) << text << ": " << (a ? "" : a.error().message);
  return a ? *a : UpstreamAddress{};
}

std::string parse_error(std::string_view text) {
  auto a = parse_upstream_address(text);
  EXPECT_FALSE(a.has_value()) << text << " parsed as " << (a ? a->url() : "");
  return a ? std::string() : a.error().message;
}

TEST(UpstreamAddress, BarePortIsLocalhost) {
  auto a = parse_ok("3000");
  EXPECT_FALSE(a.tls);
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.port, 3000);
  EXPECT_EQ(a.url(), "http://localhost:3000");
}

TEST(UpstreamAddress, HostAndPort) {
  auto a = parse_ok("localhost:3000");
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.port, 3000);
  auto b = parse_ok("127.0.0.1:8080");
  EXPECT_EQ(b.host, "127.0.0.1");
  EXPECT_EQ(b.port, 8080);
  EXPECT_EQ(b.host_port(), "127.0.0.1:8080");
}

TEST(UpstreamAddress, BracketedIpv6) {
  auto a = parse_ok("[::1]:3000");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 3000);
  EXPECT_EQ(a.host_port(), "[::1]:3000");
  EXPECT_EQ(a.url(), "http://[::1]:3000");
}

TEST(UpstreamAddress, Urls) {
  auto a = parse_ok("http://localhost:3000");
  EXPECT_FALSE(a.tls);
  EXPECT_EQ(a.port, 3000);
  auto b = parse_ok("https://localhost:8443/");
  EXPECT_TRUE(b.tls);
  EXPECT_EQ(b.port, 8443);
  EXPECT_EQ(b.url(), "https://localhost:8443");
  EXPECT_EQ(parse_ok("https://example.test").port, 443);
  EXPECT_EQ(parse_ok("http://example.test").port, 80);
  EXPECT_EQ(parse_ok("example.test").port, 80);
  EXPECT_EQ(parse_ok("https://[::1]:9443").host, "::1");
}

TEST(UpstreamAddress, BadInputsSayWhatIsWrong) {
  EXPECT_THAT(parse_error(""), HasSubstr("empty"));
  EXPECT_THAT(parse_error("0"), HasSubstr("out of range"));
  EXPECT_THAT(parse_error("70000"), HasSubstr("out of range"));
  EXPECT_THAT(parse_error("localhost:abc"), HasSubstr("invalid port 'abc'"));
  EXPECT_THAT(parse_error("localhost:"), HasSubstr("no port"));
  EXPECT_THAT(parse_error("ftp://localhost:21"), HasSubstr("unsupported scheme 'ftp'"));
  EXPECT_THAT(parse_error("::1:3000"), HasSubstr("in brackets"));
  EXPECT_THAT(parse_error("[::1:3000"), HasSubstr("unclosed"));
  EXPECT_THAT(parse_error("http://localhost:3000/api"), HasSubstr("has a path"));
  EXPECT_THAT(parse_error("http://"), HasSubstr("no host"));
  EXPECT_THAT(parse_error(":3000"), HasSubstr("no host"));
  EXPECT_THAT(parse_error("local host:3000"), HasSubstr("not a valid host name"));
  EXPECT_THAT(parse_error("[zz]:3000"), HasSubstr("not an IPv6 address"));
}

}  // namespace
}  // namespace relay::agent
