#include "relay/core/headers.hpp"

#include <gtest/gtest.h>

namespace relay::core {
namespace {

TEST(Headers, ContentLengthIsAPlainNumberOrNothing) {
  EXPECT_EQ(Headers({{"Content-Length", "1536"}}).content_length(), 1536u);
  EXPECT_EQ(Headers({{"content-length", "0"}}).content_length(), 0u);
  EXPECT_EQ(Headers{}.content_length(), std::nullopt);
  for (const char* bad : {"", "-1", "12a", " 12", "0x10", "99999999999999999999999"}) {
    EXPECT_EQ(Headers({{"content-length", bad}}).content_length(), std::nullopt) << bad;
  }
}

TEST(Headers, GetIgnoresCaseAndKeepsRepeats) {
  Headers h{{"X-Sig", "a"}, {"x-sig", "b"}};
  EXPECT_EQ(h.get("X-SIG"), "a");
  EXPECT_EQ(h.get_all("x-Sig"), (std::vector<std::string_view>{"a", "b"}));
}

}  // namespace
}  // namespace relay::core
