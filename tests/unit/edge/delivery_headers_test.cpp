#include "edge/delivery_headers.hpp"

#include <gtest/gtest.h>

namespace relay::edge {
namespace {

TEST(DeliveryHeaders, FormatsRfc3339WithMilliseconds) {
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(1'796'552'130'123), "2026-12-06T10:15:30.123Z");
  EXPECT_EQ(format_rfc3339_ms(951'782'400'000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
}

TEST(DeliveryHeaders, ReplacesTheRequestIdInPlaceAndAddsTheDeliveryHeaders) {
  core::Headers stored{{":method", "POST"},
                       {":scheme", "https"},
                       {":authority", "hook.relay.test"},
                       {":path", "/webhook"},
                       {"content-type", "application/json"},
                       {"tiktok-signature", "t=1,s=abc"},
                       {"relay-tunnel", "hook"},
                       {"relay-request-id", "old"},
                       {"relay-remote-addr", "203.0.113.9:5555"}};
  auto out = make_delivery_headers(
      stored, {.request_id = "fresh", .delivery_id = "d-42", .received_at_ms = 0, .attempt = 3});
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& f : out) fields.emplace_back(f.name, f.value);
  std::vector<std::pair<std::string, std::string>> expected{
      {":method", "POST"},
      {":scheme", "https"},
      {":authority", "hook.relay.test"},
      {":path", "/webhook"},
      {"content-type", "application/json"},
      {"tiktok-signature", "t=1,s=abc"},
      {"relay-tunnel", "hook"},
      {"relay-request-id", "fresh"},
      {"relay-remote-addr", "203.0.113.9:5555"},
      {"relay-delivery-id", "d-42"},
      {"relay-received-at", "1970-01-01T00:00:00.000Z"},
      {"relay-delivery-attempt", "3"}};
  EXPECT_EQ(fields, expected);
}

TEST(DeliveryHeaders, DropsStoredDeliveryHeadersAndAddsAMissingRequestId) {
  core::Headers stored{{":method", "GET"},
                       {":path", "/"},
                       {"Relay-Delivery-Id", "forged"},
                       {"relay-delivery-attempt", "99"},
                       {"relay-received-at", "1999-01-01T00:00:00.000Z"}};
  auto out = make_delivery_headers(
      stored, {.request_id = "r", .delivery_id = "real", .received_at_ms = 1000, .attempt = 1});
  EXPECT_EQ(out.get_all("relay-delivery-id").size(), 1U);
  EXPECT_EQ(out.get("relay-delivery-id"), "real");
  EXPECT_EQ(out.get("relay-delivery-attempt"), "1");
  EXPECT_EQ(out.get("relay-received-at"), "1970-01-01T00:00:01.000Z");
  EXPECT_EQ(out.get("relay-request-id"), "r");
}

}  // namespace
}  // namespace relay::edge
