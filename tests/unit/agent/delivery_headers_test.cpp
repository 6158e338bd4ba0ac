#include "agent/delivery_headers.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relay::agent {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono;

core::Clock::time_point at(sys_days day, milliseconds since_midnight) {
  return core::Clock::time_point{
      duration_cast<core::Clock::duration>((day + since_midnight).time_since_epoch())};
}

TEST(ReceivedAt, ParsesTheEdgesFormatAndRfc3339Variants) {
  const sys_days day = 2026y / December / 6;
  const auto expected = at(day, hours{10} + minutes{15} + seconds{30} + milliseconds{123});
  EXPECT_EQ(parse_rfc3339("2026-12-06T10:15:30.123Z"), expected);
  EXPECT_EQ(parse_rfc3339("2026-12-06t10:15:30.123z"), expected);
  EXPECT_EQ(parse_rfc3339("2026-12-06T11:45:30.123+01:30"), expected);
  EXPECT_EQ(parse_rfc3339("2026-12-06T09:15:30.123-01:00"), expected);
  EXPECT_EQ(parse_rfc3339("2026-12-06T10:15:30.123000000Z"), expected);
  EXPECT_EQ(parse_rfc3339("2026-12-06T10:15:30Z"), at(day, hours{10} + minutes{15} + seconds{30}));
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), core::Clock::time_point{});
}

TEST(ReceivedAt, RefusesAnythingElse) {
  for (const char* bad :
       {"", "2026-12-06", "2026-12-06T10:15:30", "2026-12-06 10:15:30Z", "2026-02-30T10:15:30Z",
        "2026-13-01T10:15:30Z", "2026-12-06T24:00:00Z", "2026-12-06T10:60:00Z",
        "2026-12-06T10:15:30.Z", "2026-12-06T10:15:30.1234567890Z", "2026-12-06T10:15:30Zjunk",
        "2026-12-06T10:15:30+0100", "1733480130123", "+2026-12-06T10:15:30Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

TEST(DeliveryHeaders, ALiveRequestIsNoDelivery) {
  auto info = read_delivery_headers({{"relay-request-id", "r1"}});
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_FALSE(*info);
}

TEST(DeliveryHeaders, ReadsIdReceivedAtAndAttempt) {
  auto read = read_delivery_headers({{"relay-delivery-id", "d1"},
                                     {"relay-received-at", "2026-12-06T10:15:30.123Z"},
                                     {"relay-delivery-attempt", "4"}});
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_TRUE(*read);
  const auto& info = **read;
  EXPECT_EQ(info.id, "d1");
  EXPECT_EQ(info.attempt, 4);
  EXPECT_EQ(info.received_at, parse_rfc3339("2026-12-06T10:15:30.123Z"));
}

TEST(DeliveryHeaders, AMalformedDeliveryIsRefusedWithAReason) {
  auto refusal = [](const core::Headers& headers) {
    auto read = read_delivery_headers(headers);
    EXPECT_FALSE(read) << "accepted";
    return read ? std::string() : read.error().message;
  };
  EXPECT_THAT(refusal({{"relay-delivery-id", "d1"}}), HasSubstr("without relay-received-at"));
  EXPECT_THAT(refusal({{"relay-delivery-id", "d1"}, {"relay-received-at", "yesterday"}}),
              HasSubstr("not an RFC 3339 time: 'yesterday'"));
  EXPECT_THAT(refusal({{"relay-delivery-id", "d1"},
                       {"relay-received-at", "2026-12-06T10:15:30Z"},
                       {"relay-delivery-attempt", "0"}}),
              HasSubstr("relay-delivery-attempt"));
}

TEST(Resign, SignatureFieldsAreReplacedOthersKept) {
  core::Headers in{{":method", "POST"},
                   {"content-type", "application/json"},
                   {"x-hub-signature-256", "sha256=old"},
                   {"X-Hub-Signature-256", "sha256=older"},
                   {"stripe-signature", "t=1,v1=old"}};
  auto out = replace_signature_headers(
      in, {{"X-Hub-Signature-256", "sha256=new"}, {"Stripe-Signature", "t=2,v1=new"}});
  EXPECT_EQ(out.get(":method"), "POST");
  EXPECT_EQ(out.get("content-type"), "application/json");
  EXPECT_EQ(out.get_all("x-hub-signature-256"), std::vector<std::string_view>{"sha256=new"});
  EXPECT_EQ(out.get_all("stripe-signature"), std::vector<std::string_view>{"t=2,v1=new"});
  EXPECT_EQ(out.size(), 4U);
}

}  // namespace
}  // namespace relay::agent
