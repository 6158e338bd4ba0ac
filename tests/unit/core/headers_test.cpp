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

TEST(Headers, IequalsFoldsAsciiLettersOnly) {
  EXPECT_TRUE(iequals("content-type", "content-type"));
  EXPECT_TRUE(iequals("Content-Type", "cONTENT-tYPE"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("content-type", "content-typ"));
  EXPECT_FALSE(iequals("content-type", "content-typf"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_FALSE(iequals("@", "`"));  // 0x40 and 0x60: only letters fold
  EXPECT_FALSE(iequals("[", "{"));
  EXPECT_TRUE(iequals("x\xC4", "X\xC4"));
  EXPECT_FALSE(iequals("\xC4", "\xE4"));  // not Latin-1 aware
}

}  // namespace
}  // namespace relay::core
