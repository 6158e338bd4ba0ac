#include <gtest/gtest.h>

#include <string>

#include "net/h2_detail.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::net::detail {
namespace {

std::string name_of(const nghttp2_nv& nv) {
  return {reinterpret_cast<const char*>(nv.name), nv.namelen};
}

TEST(NvList, NamesAreLowerCasedAndValuesPointAtTheCallers) {
  const std::string value = "application/json";
  NvList nv;
  nv.add("Content-Type", value);
  ASSERT_EQ(nv.size(), 1U);
  EXPECT_EQ(name_of(nv.data()[0]), "content-type");
  EXPECT_EQ(nv.data()[0].value, reinterpret_cast<const std::uint8_t*>(value.data()));
}

// A value that never repeats would push the repeating ones out of HPACK's dynamic table.
TEST(NvList, OnlyPerRequestValuesStayOutOfTheDynamicTable) {
  NvList nv;
  nv.add(protocol::kRequestIdHeader, "r1");
  nv.add(protocol::kDeliveryIdHeader, "d1");
  nv.add(protocol::kReceivedAtHeader, "1700000000000");
  nv.add(protocol::kTunnelHeader, "demo");
  nv.add(protocol::kRemoteAddrHeader, "203.0.113.9:4000");
  nv.add("content-type", "application/json");
  ASSERT_EQ(nv.size(), 6U);
  for (std::size_t i = 0; i < nv.size(); ++i) {
    EXPECT_EQ(nv.data()[i].flags, i < 3 ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE)
        << name_of(nv.data()[i]);
  }
}

// With the session's record, each per-request field is indexed the first time only (its name
// then enters the dynamic table); later blocks of the session keep its values out.
TEST(NvList, PerRequestNamesAreIndexedOncePerSession) {
  std::uint8_t indexed = 0;
  {
    NvList first(&indexed);
    first.add(protocol::kRequestIdHeader, "r1");
    first.add(protocol::kRequestIdHeader, "r2");
    first.add_borrowed(protocol::kReceivedAtHeader, "1700000000000");
    first.add("content-type", "application/json");
    EXPECT_EQ(first.data()[0].flags, NGHTTP2_NV_FLAG_NONE);
    EXPECT_EQ(first.data()[1].flags, NGHTTP2_NV_FLAG_NO_INDEX);
    EXPECT_EQ(first.data()[2].flags, NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE);
    EXPECT_EQ(first.data()[3].flags, NGHTTP2_NV_FLAG_NONE);
  }
  NvList later(&indexed);
  later.add(protocol::kRequestIdHeader, "r3");
  later.add(protocol::kDeliveryIdHeader, "d1");
  later.add_borrowed(protocol::kReceivedAtHeader, "1700000000001");
  EXPECT_EQ(later.data()[0].flags, NGHTTP2_NV_FLAG_NO_INDEX);
  EXPECT_EQ(later.data()[1].flags, NGHTTP2_NV_FLAG_NONE);  // its first one
  EXPECT_EQ(later.data()[2].flags, NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE |
                                       NGHTTP2_NV_FLAG_NO_INDEX);
}

// The word-at-a-time scan agrees with a byte loop for every length, position and byte value
// (bytes past 'Z', before 'A', and non-ASCII ones next to the letters included).
TEST(NvList, UpperCaseScanAgreesWithAByteLoop) {
  auto byte_loop = [](std::string_view s) {
    for (char c : s) {
      if (c >= 'A' && c <= 'Z') return true;
    }
    return false;
  };
  EXPECT_FALSE(has_ascii_upper(""));
  for (std::size_t len = 1; len <= 20; ++len) {
    for (std::size_t pos = 0; pos < len; ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string s(len, 'x');
        s[pos] = static_cast<char>(b);
        ASSERT_EQ(has_ascii_upper(s), byte_loop(s))
            << "len " << len << " pos " << pos << " byte " << b;
      }
    }
  }
  EXPECT_FALSE(has_ascii_upper("x-forwarded-for-\xff\x80@[`{"));
  EXPECT_TRUE(has_ascii_upper("x-forwarded-for-\xff\x80@[`{Z"));
}

}  // namespace
}  // namespace relay::net::detail
