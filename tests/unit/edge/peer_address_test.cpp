#include "relay/edge/peer_address.hpp"

#include <gtest/gtest.h>

namespace relay::edge::peer {
namespace {

TEST(PeerAddress, ParsesHostPortAndIpv6) {
  std::string error;
  auto a = parse_peer_address("10.0.0.1:7443", error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "10.0.0.1");
  EXPECT_EQ(a->port, 7443);
  EXPECT_EQ(a->to_string(), "10.0.0.1:7443");
  auto b = parse_peer_address("[::1]:7443", error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->to_string(), "[::1]:7443");
  auto c = parse_peer_address("edge-a.internal:1", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->host, "edge-a.internal");
}

TEST(PeerAddress, RefusesWhatIsNotHostPort) {
  for (const char* bad :
       {"", "10.0.0.1", "10.0.0.1:", ":7443", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:80x",
        "::1:7443", "[::1]7443", "[10.0.0.1]:1", "a b:1", "host/x:1"}) {
    std::string error;
    EXPECT_FALSE(parse_peer_address(bad, error)) << bad;
    EXPECT_NE(error.find("HOST:PORT"), std::string::npos) << bad << ": " << error;
  }
}

TEST(PeerAddress, AdvertisedDefaultsToTheListenAddress) {
  std::string error;
  auto a = advertised_address("10.0.0.1:7443", "", error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->to_string(), "10.0.0.1:7443");
  auto b = advertised_address("0.0.0.0:7443", "edge-a.internal:7443", error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->to_string(), "edge-a.internal:7443");
}

TEST(PeerAddress, UnspecifiedListenNeedsAdvertise) {
  for (const char* listen : {"0.0.0.0:7443", "[::]:7443"}) {
    std::string error;
    EXPECT_FALSE(advertised_address(listen, "", error));
    EXPECT_NE(error.find("--peer-advertise"), std::string::npos) << error;
  }
  std::string error;
  EXPECT_FALSE(advertised_address("10.0.0.1:7443", "0.0.0.0:7443", error));
  EXPECT_FALSE(advertised_address("nonsense", "", error));
  EXPECT_NE(error.find("--peer-listen"), std::string::npos) << error;
}

TEST(PeerAddress, RemoteAddrIp) {
  EXPECT_EQ(remote_addr_ip("203.0.113.7:51000"), "203.0.113.7");
  EXPECT_EQ(remote_addr_ip("[2001:db8::1]:443"), "2001:db8::1");
  EXPECT_EQ(remote_addr_ip("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(remote_addr_ip("2001:db8::1"), "2001:db8::1");
  EXPECT_FALSE(remote_addr_ip(""));
  EXPECT_FALSE(remote_addr_ip("[2001:db8::1"));
}

}  // namespace
}  // namespace relay::edge::peer
