#include "edge/host_router.hpp"

#include <gtest/gtest.h>

namespace relay::edge {
namespace {

TEST(HostRouter, RoutesNameUnderDomain) {
  HostRouter router("relay.example.com");
  EXPECT_EQ(router.route("myhook.relay.example.com"), "myhook");
  EXPECT_EQ(router.route("myhook.relay.example.com:8080"), "myhook");
  EXPECT_EQ(router.route("my-hook-2.relay.example.com."), "my-hook-2");
}

TEST(HostRouter, IsCaseInsensitive) {
  HostRouter router("Relay.Example.COM");
  EXPECT_EQ(router.route("MyHook.RELAY.example.com"), "myhook");
}

TEST(HostRouter, RejectsOtherHosts) {
  HostRouter router("relay.example.com");
  EXPECT_EQ(router.route("relay.example.com"), std::nullopt);      // the bare domain
  EXPECT_EQ(router.route("a.b.relay.example.com"), std::nullopt);  // two labels
  EXPECT_EQ(router.route("myhook.relay.example.org"), std::nullopt);
  EXPECT_EQ(router.route("myhookrelay.example.com"), std::nullopt);  // no dot before domain
  EXPECT_EQ(router.route("-bad.relay.example.com"), std::nullopt);   // not a DNS label
  EXPECT_EQ(router.route("x_y.relay.example.com"), std::nullopt);
  EXPECT_EQ(router.route(""), std::nullopt);
  EXPECT_EQ(router.route(".relay.example.com"), std::nullopt);
  EXPECT_EQ(router.route("[::1]:80"), std::nullopt);
}

TEST(HostRouter, LocalhostDomain) {
  HostRouter router("localhost");
  EXPECT_EQ(router.route("abc123.localhost:8080"), "abc123");
  EXPECT_EQ(router.route("localhost:8080"), std::nullopt);
}

TEST(PublicUrl, OmitsDefaultPorts) {
  EXPECT_EQ(make_public_url("http", "localhost", 8080, "abc"), "http://abc.localhost:8080");
  EXPECT_EQ(make_public_url("http", "relay.example.com", 80, "abc"),
            "http://abc.relay.example.com");
  EXPECT_EQ(make_public_url("https", "relay.example.com", 443, "abc"),
            "https://abc.relay.example.com");
  EXPECT_EQ(make_public_url("https", "relay.example.com", 8443, "abc"),
            "https://abc.relay.example.com:8443");
}

}  // namespace
}  // namespace relay::edge
