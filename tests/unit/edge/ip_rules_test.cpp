#include <gtest/gtest.h>

#include "edge/ip_rules.hpp"

namespace relay::edge {
namespace {

boost::asio::ip::address ip(const char* text) { return boost::asio::ip::make_address(text); }

TEST(IpRules, DenyWinsAndAnEmptyAllowListAllowsTheRest) {
  std::string error;
  auto rules = parse_ip_rules({"10.0.0.0/8", "2001:db8::/32"}, {"10.0.0.9"}, error);
  ASSERT_TRUE(rules) << error;
  EXPECT_TRUE(rules->permits(ip("10.1.2.3")));
  EXPECT_TRUE(rules->permits(ip("::ffff:10.1.2.3")));  // an IPv4 peer on an IPv6 socket
  EXPECT_TRUE(rules->permits(ip("2001:db8::1")));
  EXPECT_FALSE(rules->permits(ip("10.0.0.9")));
  EXPECT_FALSE(rules->permits(ip("192.0.2.1")));

  auto deny_only = parse_ip_rules({}, {"192.0.2.0/24"}, error);
  ASSERT_TRUE(deny_only);
  EXPECT_TRUE(deny_only->permits(ip("198.51.100.1")));
  EXPECT_FALSE(deny_only->permits(ip("192.0.2.200")));
}

TEST(IpRules, ABadEntryIsNamedWithItsList) {
  std::string error;
  EXPECT_FALSE(parse_ip_rules({"10.0.0.0/8"}, {"10.0.0.300"}, error));
  EXPECT_NE(error.find("ip_deny '10.0.0.300'"), std::string::npos) << error;
  EXPECT_FALSE(parse_ip_rules({"10.0.0.0/33"}, {}, error));
  EXPECT_NE(error.find("ip_allow '10.0.0.0/33'"), std::string::npos) << error;
}

TEST(IpRules, TheLastBindOfANameDecides) {
  TunnelIpRules rules;
  std::string error;
  rules.set("hooks", *parse_ip_rules({"10.0.0.0/8"}, {}, error));
  ASSERT_NE(rules.find("hooks"), nullptr);
  EXPECT_EQ(rules.find("other"), nullptr);
  rules.set("hooks", IpRules{});  // rebound without rules: anyone may call
  EXPECT_EQ(rules.find("hooks"), nullptr);
}

}  // namespace
}  // namespace relay::edge
