#include "relay/core/token_list.hpp"

#include <gtest/gtest.h>

namespace relay::core {
namespace {

TEST(TokenList, FindsItemsCaseInsensitivelyAroundBlanks) {
  EXPECT_TRUE(list_has_token("close", "close"));
  EXPECT_TRUE(list_has_token("keep-alive, X-Secret", "x-secret"));
  EXPECT_TRUE(list_has_token(" \tX-A ,\tx-b\t", "x-b"));
  EXPECT_TRUE(list_has_token(",,x-a,", "x-a"));
  EXPECT_FALSE(list_has_token("x-ab", "x-a"));
  EXPECT_FALSE(list_has_token("x-a b", "x-a"));
  EXPECT_FALSE(list_has_token("", "x-a"));
  EXPECT_FALSE(list_has_token(" , ", ""));
}

TEST(TokenList, SearchesEveryValueOfARepeatedField) {
  EXPECT_TRUE(lists_have_token({"close", "X-Drop"}, "x-drop"));
  EXPECT_FALSE(lists_have_token({"close", "x-keep-me-not"}, "x-drop"));
  EXPECT_FALSE(lists_have_token({}, "x-drop"));
}

}  // namespace
}  // namespace relay::core
