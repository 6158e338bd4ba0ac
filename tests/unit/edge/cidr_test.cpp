#include "relay/edge/cidr.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

#include "edge/client_address.hpp"

namespace relay::edge {
namespace {

using boost::asio::ip::make_address;

Cidr parse(std::string_view text) {
  auto cidr = parse_cidr(text);
  EXPECT_TRUE(cidr) << text << ": " << (cidr ? "" : cidr.error().message);
  return cidr ? *cidr : Cidr{};
}

std::string refusal(std::string_view text) {
  auto cidr = parse_cidr(text);
  EXPECT_FALSE(cidr) << text;
  return cidr ? std::string() : cidr.error().message;
}

TEST(Cidr, ParsesIpv4AndIpv6Blocks) {
  EXPECT_EQ(parse("10.0.0.0/8").to_string(), "10.0.0.0/8");
  EXPECT_EQ(parse("10.1.2.3/8").to_string(), "10.0.0.0/8");  // host bits cleared
  EXPECT_EQ(parse("192.0.2.7").to_string(), "192.0.2.7/32");
  EXPECT_EQ(parse("2001:db8::/32").to_string(), "2001:db8::/32");
  EXPECT_EQ(parse("::1").to_string(), "::1/128");
  EXPECT_EQ(parse("0.0.0.0/0").to_string(), "0.0.0.0/0");
  EXPECT_EQ(parse("172.16.0.0/12").to_string(), "172.16.0.0/12");
  EXPECT_EQ(parse("172.31.255.255/12").to_string(), "172.16.0.0/12");
}

TEST(Cidr, RefusesWhatIsNotABlockAndSaysWhy) {
  EXPECT_NE(refusal("").find("missing"), std::string::npos);
  EXPECT_NE(refusal("/8").find("missing"), std::string::npos);
  EXPECT_NE(refusal("10.0.0.0/33").find("0 to 32"), std::string::npos);
  EXPECT_NE(refusal("2001:db8::/129").find("0 to 128"), std::string::npos);
  EXPECT_FALSE(refusal("10.0.0.0/").empty());
  EXPECT_FALSE(refusal("10.0.0.0/8x").empty());
  EXPECT_FALSE(refusal("10.0.0.0/-1").empty());
  EXPECT_FALSE(refusal("lb.example.com").empty());
  EXPECT_FALSE(refusal("10.0.0/8").empty());
  EXPECT_FALSE(refusal("fe80::1%eth0/64").empty());
}

TEST(Cidr, ContainsChecksThePrefixOnly) {
  auto block = parse("10.0.0.0/8");
  EXPECT_TRUE(block.contains(make_address("10.255.1.2")));
  EXPECT_FALSE(block.contains(make_address("11.0.0.1")));
  EXPECT_FALSE(block.contains(make_address("2001:db8::1")));
  auto odd = parse("192.0.2.128/25");
  EXPECT_TRUE(odd.contains(make_address("192.0.2.200")));
  EXPECT_FALSE(odd.contains(make_address("192.0.2.127")));
  auto v6 = parse("2001:db8::/32");
  EXPECT_TRUE(v6.contains(make_address("2001:db8:ffff::1")));
  EXPECT_FALSE(v6.contains(make_address("2001:db9::1")));
  EXPECT_TRUE(parse("0.0.0.0/0").contains(make_address("203.0.113.9")));
}

TEST(Cidr, Ipv4MappedPeersMatchIpv4Blocks) {
  auto block = parse("127.0.0.0/8");
  EXPECT_TRUE(block.contains(make_address("::ffff:127.0.0.2")));
  EXPECT_EQ(canonical_address(make_address("::ffff:127.0.0.2")).to_string(), "127.0.0.2");
}

TEST(Cidr, ListNamesTheFlagAndTheEntry) {
  try {
    parse_cidr_list({"10.0.0.0/8", "nonsense"}, "--trusted-proxies");
    FAIL() << "accepted a bad entry";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--trusted-proxies 'nonsense'"), std::string::npos);
  }
  auto set = parse_cidr_list({"10.0.0.0/8", "::1"}, "--trusted-proxies");
  EXPECT_TRUE(set.contains(make_address("10.2.3.4")));
  EXPECT_TRUE(set.contains(make_address("::1")));
  EXPECT_FALSE(set.contains(make_address("127.0.0.1")));
  EXPECT_TRUE(CidrSet().empty());
}

// decide_client_address (client_address.hpp)
const CidrSet kTrusted = parse_cidr_list({"10.0.0.0/8"}, "--trusted-proxies");

TEST(ClientAddress, AnUntrustedPeerIsTheClientWhateverItClaims) {
  EXPECT_EQ(decide_client_address(make_address("203.0.113.9"), {"1.2.3.4"}, kTrusted).to_string(),
            "203.0.113.9");
}

TEST(ClientAddress, ATrustedPeerGivesTheRightMostUntrustedEntry) {
  // The caller wrote "1.2.3.4" itself; the load balancer appended what it saw.
  EXPECT_EQ(decide_client_address(make_address("10.0.0.5"), {"1.2.3.4, 198.51.100.7"}, kTrusted)
                .to_string(),
            "198.51.100.7");
  // Several trusted hops, over two fields.
  EXPECT_EQ(decide_client_address(make_address("10.0.0.5"), {"198.51.100.7, 10.1.1.1", "10.2.2.2"},
                                  kTrusted)
                .to_string(),
            "198.51.100.7");
  EXPECT_EQ(
      decide_client_address(make_address("10.0.0.5"), {"[2001:db8::7]:4711"}, kTrusted).to_string(),
      "2001:db8::7");
  EXPECT_EQ(
      decide_client_address(make_address("10.0.0.5"), {"198.51.100.7:5123"}, kTrusted).to_string(),
      "198.51.100.7");
}

TEST(ClientAddress, NoOrBadChainStopsAtTheLastTrustedHop) {
  EXPECT_EQ(decide_client_address(make_address("10.0.0.5"), {}, kTrusted).to_string(), "10.0.0.5");
  EXPECT_EQ(decide_client_address(make_address("10.0.0.5"), {"198.51.100.7, garbage"}, kTrusted)
                .to_string(),
            "10.0.0.5");
  EXPECT_EQ(decide_client_address(make_address("10.0.0.5"), {"10.9.9.9, , "}, kTrusted).to_string(),
            "10.9.9.9");
}

}  // namespace
}  // namespace relay::edge
