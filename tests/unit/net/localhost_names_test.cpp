#include "relay/net/localhost_names.hpp"

#include <gtest/gtest.h>

namespace relay::net {
namespace {

TEST(LocalhostNames, LocalhostAndItsSubdomainsAreLoopback) {
  for (const auto* name : {"localhost", "LOCALHOST", "localhost.", "hook.localhost",
                           "a.b.localhost", "gvl0pkda.LocalHost"}) {
    EXPECT_TRUE(is_localhost_name(name)) << name;
  }
  for (const auto* name : {"", "notlocalhost", "localhost.example.com", "xlocalhost", "local",
                           "localhost..", "example.com"}) {
    EXPECT_FALSE(is_localhost_name(name)) << name;
  }
}

TEST(LocalhostNames, BlockingResolutionAnswersLoopbackWithoutAskingDns) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver{io};
  const auto endpoints = resolve_blocking(resolver, "hook.localhost", "8080");
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_TRUE(endpoints[0].address().is_loopback() && endpoints[0].address().is_v6());
  EXPECT_TRUE(endpoints[1].address().is_loopback() && endpoints[1].address().is_v4());
  EXPECT_EQ(endpoints[1].port(), 8080);
}

}  // namespace
}  // namespace relay::net
