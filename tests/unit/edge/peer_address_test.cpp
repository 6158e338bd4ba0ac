#include "relay/edge/peer_address.hpp"

#include <gtest/gtest.h>

namespace relay::edge::peer {
namespace {

// The message of a failed parse ("" when it did not fail).
template <class T>
std::string why(const core::Fallible<T>& parsed) {
  return parsed ? std::string() : parsed.error().message;
}

TEST(PeerAddress, ParsesHostPortAndIpv6) {
  auto a = parse_peer_address("10.0.0.1:7443");
  ASSERT_TRUE(a) << why(a);
  EXPECT_EQ(a->host, "10.0.0.1");
  EXPECT_EQ(a->port, 7443);
  EXPECT_EQ(a->to_string(), "10.0.0.1:7443");
  auto b = parse_peer_address("[::1]:7443");
  ASSERT_TRUE(b) << why(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->to_string(), "[::1]:7443");
  auto c = parse_peer_address("edge-a.internal:1");
  ASSERT_TRUE(c) << why(c);
  EXPECT_EQ(c->host, "edge-a.internal");
}

TEST(PeerAddress, RefusesWhatIsNotHostPort) {
  for (const char* bad :
       {"", "10.0.0.1", "10.0.0.1:", ":7443", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:80x",
        "::1:7443", "[::1]7443", "[10.0.0.1]:1", "a b:1", "host/x:1"}) {
    auto parsed = parse_peer_address(bad);
    EXPECT_FALSE(parsed) << bad;
    EXPECT_NE(why(parsed).find("HOST:PORT"), std::string::npos) << bad << ": " << why(parsed);
  }
}

TEST(PeerAddress, AdvertisedDefaultsToTheListenAddress) {
  auto a = advertised_address("10.0.0.1:7443", "");
  ASSERT_TRUE(a) << why(a);
  EXPECT_EQ(a->to_string(), "10.0.0.1:7443");
  auto b = advertised_address("0.0.0.0:7443", "edge-a.internal:7443");
  ASSERT_TRUE(b) << why(b);
  EXPECT_EQ(b->to_string(), "edge-a.internal:7443");
}

TEST(PeerAddress, UnspecifiedListenNeedsAdvertise) {
  for (const char* listen : {"0.0.0.0:7443", "[::]:7443"}) {
    auto advertised = advertised_address(listen, "");
    EXPECT_FALSE(advertised);
    EXPECT_NE(why(advertised).find("--peer-advertise"), std::string::npos) << why(advertised);
  }
  EXPECT_FALSE(advertised_address("10.0.0.1:7443", "0.0.0.0:7443"));
  auto bad_listen = advertised_address("nonsense", "");
  EXPECT_FALSE(bad_listen);
  EXPECT_NE(why(bad_listen).find("--peer-listen"), std::string::npos) << why(bad_listen);
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
