#include "relay/store/queue_report.hpp"

#include <gtest/gtest.h>

namespace relay::store {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;

TEST(QueueReport, AgesAndSizesReadAtAGlance) {
  EXPECT_EQ(format_age(0), "-");
  EXPECT_EQ(format_age(45'500), "45s");
  EXPECT_EQ(format_age(192'000), "3m12s");
  EXPECT_EQ(format_age(2 * 3'600'000 + 5 * 60'000), "2h05m");
  EXPECT_EQ(format_age(3 * 86'400'000LL + 4 * 3'600'000), "3d04h");
  EXPECT_EQ(format_bytes(812), "812 B");
  EXPECT_EQ(format_bytes(18 * 1024 + 10), "18.0 KiB");
  EXPECT_EQ(format_bytes(3ULL << 30), "3.0 GiB");
}

TEST(QueueReport, StatsHaveOneAlignedLinePerTunnel) {
  const auto text = format_queue_stats({{.tunnel = "hook",
                                         .queued = 12,
                                         .delivering = 1,
                                         .delivered = 340,
                                         .dead = 2,
                                         .oldest_queued_ms = kNow - 192'000,
                                         .queued_bytes = 18 * 1024},
                                        {.tunnel = "api", .delivered = 5}},
                                       kNow);
  EXPECT_EQ(
      text,
      "TUNNEL                      QUEUED DELIVERING  DELIVERED     DEAD OLDEST QUEUED      "
      "BYTES\n"
      "hook                            12          1        340        2         3m12s   18.0 "
      "KiB\n"
      "api                              0          0          5        0             -        "
      "0 B\n");
}

TEST(QueueReport, ListShowsStateAttemptsAndTheLastFailure) {
  Delivery d;
  d.id = "0a1b2c3d-42";
  d.tunnel = "hook";
  d.state = DeliveryState::dead;
  d.attempts = 3;
  d.received_at_ms = kNow - 60'000;
  d.method = "POST";
  d.path = "/webhooks/stripe";
  d.last_status = 403;
  d.last_error = "RELAY_SIGNATURE_INVALID";
  const auto text = format_delivery_list({d}, kNow);
  EXPECT_NE(
      text.find("0a1b2c3d-42          hook             dead              3 2023-11-14 22:12:20"
                "   1m00s POST /webhooks/stripe"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("403 RELAY_SIGNATURE_INVALID\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace relay::store
