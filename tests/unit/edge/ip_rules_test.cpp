#include <gtest/gtest.h>

#include "edge/ip_rules.hpp"

namespace relay::edge {
namespace {

boost::asio::ip::address ip(const char* text) { return boost::asio::ip::make_address(text); }

TEST(IpRules, DenyWinsAndAnEmptyAllowListAllowsTheRest) {
  auto rules = parse_ip_rules({"10.0.0.0/8", "2001:db8::/32"}, {"10.0.0.9"});
  ASSERT_TRUE(rules) << rules.error().message;
  EXPECT_TRUE(rules->permits(ip("10.1.2.3")));
  EXPECT_TRUE(rules->permits(ip("::ffff:10.1.2.3")));  // an IPv4 peer on an IPv6 socket
  EXPECT_TRUE(rules->permits(ip("2001:db8::1")));
  EXPECT_FALSE(rules->permits(ip("10.0.0.9")));
  EXPECT_FALSE(rules->permits(ip("192.0.2.1")));

  auto deny_only = parse_ip_rules({}, {"192.0.2.0/24"});
  ASSERT_TRUE(deny_only);
  EXPECT_TRUE(deny_only->permits(ip("198.51.100.1")));
  EXPECT_FALSE(deny_only->permits(ip("192.0.2.200")));
}

TEST(IpRules, ABadEntryIsNamedWithItsList) {
  auto bad_deny = parse_ip_rules({"10.0.0.0/8"}, {"10.0.0.300"});
  ASSERT_FALSE(bad_deny);
  EXPECT_NE(bad_deny.error().message.find("ip_deny '10.0.0.300'"), std::string::npos)
      << bad_deny.error().message;
  auto bad_allow = parse_ip_rules({"10.0.0.0/33"}, {});
  ASSERT_FALSE(bad_allow);
  EXPECT_NE(bad_allow.error().message.find("ip_allow '10.0.0.0/33'"), std::string::npos)
      << bad_allow.error().message;
}

TEST(IpRules, EveryTunnelGetsItsRulesInOrder) {
  std::vector<net::protocol::TunnelRequest> tunnels(2);
  tunnels[1].ip_deny = {"192.0.2.0/24"};
  auto rules = parse_tunnel_ip_rules(tunnels);
  ASSERT_TRUE(rules) << rules.error().message;
  ASSERT_EQ(rules->size(), 2U);
  EXPECT_TRUE((*rules)[0].empty());
  EXPECT_FALSE((*rules)[1].permits(ip("192.0.2.1")));
  tunnels[0].ip_allow = {"nonsense"};
  EXPECT_FALSE(parse_tunnel_ip_rules(tunnels));
}

TEST(IpRules, TheLastBindOfANameDecides) {
  TunnelIpRules rules;
  rules.set("hooks", *parse_ip_rules({"10.0.0.0/8"}, {}));
  ASSERT_NE(rules.find("hooks"), nullptr);
  EXPECT_EQ(rules.find("other"), nullptr);
  rules.set("hooks", IpRules{});  // rebound without rules: anyone may call
  EXPECT_EQ(rules.find("hooks"), nullptr);
}

}  // namespace
}  // namespace relay::edge
