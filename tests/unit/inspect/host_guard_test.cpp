#include "inspect/host_guard.hpp"

#include <gtest/gtest.h>

namespace relay::inspect::detail {
namespace {

TEST(HostGuard, AllowsLoopbackNamesWithOrWithoutAPort) {
  for (const char* host : {"127.0.0.1", "127.0.0.1:4040", "localhost", "LOCALHOST:4041", "[::1]",
                           "[::1]:4040", "127.1.2.3:80"}) {
    EXPECT_TRUE(is_allowed_host(host, "127.0.0.1")) << host;
  }
}

TEST(HostGuard, RefusesEverythingElse) {
  for (const char* host :
       {"", "evil.example", "evil.example:4040", "localhost.evil.example", "127.0.0.1.nip.io",
        "10.0.0.1:4040", "::1", "[::1", "127.0.0.1:abc", "0.0.0.0:4040"}) {
    EXPECT_FALSE(is_allowed_host(host, "127.0.0.1")) << host;
  }
}

TEST(HostGuard, AllowsTheExplicitBindAddress) {
  EXPECT_TRUE(is_allowed_host("192.168.1.5:4040", "192.168.1.5"));
  EXPECT_FALSE(is_allowed_host("192.168.1.6:4040", "192.168.1.5"));
  EXPECT_FALSE(is_allowed_host("evil.example", "0.0.0.0"));
}

TEST(HostGuard, ChecksOrigins) {
  EXPECT_TRUE(is_allowed_origin("http://127.0.0.1:4040", "127.0.0.1", 4040));
  EXPECT_TRUE(is_allowed_origin("http://localhost:4040/", "127.0.0.1", 4040));
  EXPECT_TRUE(is_allowed_origin("http://[::1]:4040", "::1", 4040));
  EXPECT_FALSE(is_allowed_origin("https://evil.example", "127.0.0.1", 4040));
  EXPECT_FALSE(is_allowed_origin("null", "127.0.0.1", 4040));
}

TEST(HostGuard, OriginMustNameTheInspectorsPort) {
  // Another local app (a dev server on :3000) is another origin.
  EXPECT_FALSE(is_allowed_origin("http://localhost:3000", "127.0.0.1", 4040));
  EXPECT_FALSE(is_allowed_origin("http://127.0.0.1:40400", "127.0.0.1", 4040));
  EXPECT_FALSE(is_allowed_origin("http://[::1]:3000", "::1", 4040));
  EXPECT_FALSE(is_allowed_origin("http://localhost", "127.0.0.1", 4040));
  EXPECT_FALSE(is_allowed_origin("http://localhost:4040x", "127.0.0.1", 4040));
  EXPECT_FALSE(is_allowed_origin("https://localhost:4040", "127.0.0.1", 4040));
  EXPECT_TRUE(is_allowed_origin("http://localhost", "127.0.0.1", 80));
  EXPECT_TRUE(is_allowed_origin("http://[::1]", "::1", 80));
}

}  // namespace
}  // namespace relay::inspect::detail
