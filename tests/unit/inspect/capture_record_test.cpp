#include "inspect/capture_record.hpp"

#include <gtest/gtest.h>

#include "capture_sample.hpp"
#include "inspect/capture_json.hpp"

namespace relay::inspect {
namespace {

using inspect::testing::make_capture;

TEST(CaptureRecord, RoundTripsEveryFieldAndRejectsDamage) {
  auto c = make_capture("ins_1", "web", std::string("bin\0\xff\x01", 6));
  c.remote_addr = "203.0.113.7";
  c.public_url = "https://abc.relay.test";
  c.response_headers.add("content-type", "text/plain");
  c.response_body.truncated = true;
  c.response_body.size = 99;
  c.verdict = verify::Verdict{
      .code = verify::VerdictCode::valid, .provider = "stripe", .reason = "", .event_id = "evt_9"};
  c.duplicate = true;
  c.error_code = "RELAY_UPSTREAM_REFUSED";
  c.error = "connection refused";
  std::string record;
  detail::encode_record(c, record);
  const auto back = detail::decode_record(record);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(detail::to_storage_json(*back), detail::to_storage_json(c));

  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, record.size() / 2, record.size() - 1}) {
    EXPECT_FALSE(detail::decode_record(std::string_view(record).substr(0, cut))) << cut;
  }
  EXPECT_FALSE(detail::decode_record(record + "x"));
  auto bogus_length = record;
  bogus_length[6] = '\x7f';  // the id's length now says ~2 GB: rejected, not read past the end
  EXPECT_FALSE(detail::decode_record(bogus_length));

  std::string batch;
  detail::append_batch_entry(7, c, batch);
  detail::append_batch_entry(9, *back, batch);
  const auto both = detail::decode_batch(batch);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].first, 7u);
  EXPECT_EQ(both[1].first, 9u);
  batch.resize(batch.size() - 1);  // a damaged last entry: the first still reads
  ASSERT_EQ(detail::decode_batch(batch).size(), 1u);
}

}  // namespace
}  // namespace relay::inspect
