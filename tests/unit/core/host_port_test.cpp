#include "relay/core/host_port.hpp"

#include <gtest/gtest.h>

namespace relay::core {
namespace {

TEST(HostPort, HostWithoutPortKeepsBrackets) {
  EXPECT_EQ(host_without_port("a.b:80"), "a.b");
  EXPECT_EQ(host_without_port("a.b"), "a.b");
  EXPECT_EQ(host_without_port("[::1]:80"), "[::1]");
  EXPECT_EQ(host_without_port("::1"), "::1");
  EXPECT_EQ(host_without_port(""), "");
}

TEST(HostPort, AddressWithoutPortDropsBrackets) {
  EXPECT_EQ(address_without_port("203.0.113.9:5123"), "203.0.113.9");
  EXPECT_EQ(address_without_port("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(address_without_port("[2001:db8::1]:5123"), "2001:db8::1");
  EXPECT_EQ(address_without_port("[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(address_without_port("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(address_without_port("[::1"), "::1");  // unclosed: the rest, not a crash
}

}  // namespace
}  // namespace relay::core
