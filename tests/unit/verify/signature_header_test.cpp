#include "relay/verify/signature_header.hpp"

#include <gtest/gtest.h>

namespace relay::verify {
namespace {

TEST(SignatureHeader, KeyValueListKeepsRepeatedKeys) {
  const auto kv = parse_key_value_list("t=1712, v1=ab ,v1=cd,junk,v0=");
  ASSERT_EQ(kv.size(), 4u);
  EXPECT_EQ(kv[0], KeyValue("t", "1712"));
  EXPECT_EQ(kv[1], KeyValue("v1", "ab"));
  EXPECT_EQ(kv[2], KeyValue("v1", "cd"));
  EXPECT_EQ(kv[3], KeyValue("v0", ""));
}

TEST(SignatureHeader, KeyValueListWithSemicolons) {
  const auto kv = parse_key_value_list("ts=1;h1=ab=", ';');
  ASSERT_EQ(kv.size(), 2u);
  EXPECT_EQ(kv[1], KeyValue("h1", "ab="));  // '=' inside a value (base64) survives
}

TEST(SignatureHeader, SvixList) {
  const auto list = parse_svix_list("v1,abc=  v2,def v1a garbage v1,ghi");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0], KeyValue("v1", "abc="));
  EXPECT_EQ(list[2], KeyValue("v1", "ghi"));
}

TEST(SignatureHeader, EmptyAndHostileInputs) {
  EXPECT_TRUE(parse_key_value_list("").empty());
  EXPECT_TRUE(parse_key_value_list(",,,===").size() == 1);  // "===" → key "" value "=="
  EXPECT_TRUE(parse_svix_list("   ").empty());
  EXPECT_TRUE(split_list(" , ,", ',').empty());
}

}  // namespace
}  // namespace relay::verify
