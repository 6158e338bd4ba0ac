#include "verify/hmac_signature.hpp"

#include <gtest/gtest.h>

#include "verify/verify_detail.hpp"

namespace relay::verify::detail {
namespace {

using std::chrono::seconds;

TEST(HmacSignature, SignatureFieldsAreTheHeaderItsNumberedFormsAndTheAlternative) {
  const HmacSpec plain{.name = "p", .header = "X-Sig", .alt_header = "X-Sig-Secondary"};
  const core::Headers headers{{"x-sig", "a"}, {"X-Other", "b"}, {"X-SIG-SECONDARY", "c"}};
  EXPECT_EQ(signature_header_values(headers, plain), (std::vector<std::string_view>{"a", "c"}));

  const HmacSpec numbered{.name = "n", .header = "X-Sig-", .numbered_headers = true};
  const core::Headers many{
      {"X-Sig-1", "a"}, {"x-sig-22", "b"}, {"X-Sig-", "bare"}, {"X-Sig-x", "letters"}};
  // Only the header followed by digits: "X-Sig-" alone and "X-Sig-x" are other fields.
  EXPECT_EQ(signature_header_values(many, numbered), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(signature_header_label(numbered), "X-Sig-1");
  EXPECT_EQ(signature_header_label(plain), "X-Sig");
}

TEST(HmacSignature, SingleAndCommaListsNeedThePrefix) {
  const HmacSpec single{.name = "s", .header = "h", .prefix = "sha256="};
  auto one = parse_signature_values({" sha256=abc ", "sha1=def", "sha256="}, single);
  EXPECT_EQ(one.candidates, (std::vector<std::string_view>{"abc"}));
  EXPECT_FALSE(one.timestamp);

  const HmacSpec comma{.name = "c", .header = "h", .list = SignatureList::comma, .prefix = "v1="};
  auto list = parse_signature_values({"v1=a, v0=b ,v1=c"}, comma);
  EXPECT_EQ(list.candidates, (std::vector<std::string_view>{"a", "c"}));
}

TEST(HmacSignature, KeyValueListsCarryTheTimestamp) {
  const HmacSpec stripe{.name = "k",
                        .header = "h",
                        .list = SignatureList::key_value,
                        .kv_timestamp = "t",
                        .kv_signature = "v1"};
  auto parsed = parse_signature_values({"t=1712,v1=aa,v0=bb,v1="}, stripe);
  EXPECT_EQ(parsed.candidates, (std::vector<std::string_view>{"aa"}));
  ASSERT_TRUE(parsed.timestamp);
  EXPECT_EQ(*parsed.timestamp, "1712");
  EXPECT_EQ(describe_signature_format(stripe), "t=<timestamp>,v1=<signature>");
}

TEST(HmacSignature, SvixListsTakeOnlyVersionOne) {
  const HmacSpec svix{.name = "x", .header = "h", .list = SignatureList::svix};
  auto parsed = parse_signature_values({"v1,abc= v2,def", "v1,ghi"}, svix);
  EXPECT_EQ(parsed.candidates, (std::vector<std::string_view>{"abc=", "ghi"}));
}

TEST(HmacSignature, TimestampFromItsOwnHeaderWinsOverTheList) {
  const HmacSpec spec{.name = "t",
                      .header = "h",
                      .timestamp_header = "X-Ts",
                      .timestamp_format = TimestampFormat::unix_seconds};
  const core::Headers headers{{"x-ts", " 1700000000 "}};
  auto ts = read_signed_timestamp(spec, headers, std::string_view{"999"}, "h");
  EXPECT_FALSE(ts.rejection);
  EXPECT_EQ(ts.text, "1700000000");  // trimmed, as it is signed
  EXPECT_EQ(ts.unix_seconds, 1700000000);

  auto missing = read_signed_timestamp(spec, core::Headers{}, std::nullopt, "h");
  ASSERT_TRUE(missing.rejection);
  EXPECT_EQ(missing.rejection->code, VerdictCode::missing_header);
  EXPECT_EQ(missing.rejection->reason, "missing timestamp header X-Ts");

  auto garbage = read_signed_timestamp(spec, core::Headers{{"X-Ts", "yesterday"}}, {}, "h");
  ASSERT_TRUE(garbage.rejection);
  EXPECT_EQ(garbage.rejection->code, VerdictCode::malformed_header);
}

TEST(HmacSignature, KeyValueTimestampIsRequiredWhenTheSpecHasAFormat) {
  const HmacSpec spec{.name = "k",
                      .header = "Sig",
                      .list = SignatureList::key_value,
                      .kv_timestamp = "t",
                      .kv_signature = "v1",
                      .timestamp_format = TimestampFormat::unix_seconds};
  auto missing = read_signed_timestamp(spec, core::Headers{}, std::nullopt, "Sig");
  ASSERT_TRUE(missing.rejection);
  EXPECT_EQ(missing.rejection->reason, "malformed Sig: no t=<timestamp> element");
  auto ok = read_signed_timestamp(spec, core::Headers{}, std::string_view{"12"}, "Sig");
  EXPECT_FALSE(ok.rejection);
  EXPECT_EQ(ok.unix_seconds, 12);
}

TEST(HmacSignature, WithoutAFormatTheTimestampIsSignedButNeverChecked) {
  const HmacSpec spec{.name = "n", .header = "h", .list = SignatureList::key_value};
  auto ts = read_signed_timestamp(spec, core::Headers{}, std::string_view{" abc "}, "h");
  EXPECT_FALSE(ts.rejection);
  EXPECT_EQ(ts.text, "abc");
  EXPECT_FALSE(ts.unix_seconds);
}

TEST(HmacSignature, TimestampToleranceIsInclusive) {
  const auto now = core::from_unix_seconds(1'000'000);
  EXPECT_FALSE(check_timestamp(1'000'000 - 300, now, seconds(300), "p"));
  EXPECT_FALSE(check_timestamp(1'000'000 + 300, now, seconds(300), "p"));
  auto stale = check_timestamp(1'000'000 - 301, now, seconds(300), "p");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->code, VerdictCode::stale_timestamp);
  EXPECT_EQ(stale->reason, "stale timestamp: 301 s old, tolerance 300 s");
  auto future = check_timestamp(1'000'000 + 301, now, seconds(300), "p");
  ASSERT_TRUE(future);
  EXPECT_EQ(future->code, VerdictCode::future_timestamp);
}

TEST(HmacSignature, SignedPayloadFillsPlaceholdersAndKeepsOtherBracesLiteral) {
  const core::Headers none;
  const core::RequestView request{"POST", "https://x.test/hook?a=1", none, "{\"k\":1}"};
  EXPECT_EQ(signed_payload("{body}", request, "", ""), "{\"k\":1}");
  EXPECT_EQ(signed_payload("v0:{timestamp}:{body}", request, "17", ""), "v0:17:{\"k\":1}");
  EXPECT_EQ(signed_payload("{id}.{timestamp}.{body}", request, "17", "msg_1"),
            "msg_1.17.{\"k\":1}");
  EXPECT_EQ(signed_payload("{method}{url}", request, "", ""), "POSThttps://x.test/hook?a=1");
  EXPECT_EQ(signed_payload("{other}|{body", request, "", ""), "{other}|{body");
}

TEST(HmacSignature, MismatchSaysHowManySignaturesWereTried) {
  EXPECT_EQ(mismatch_reason(1, "X-Sig"),
            "signature mismatch: the signature in X-Sig does not match the body; check the "
            "secret and that nothing rewrote the body");
  EXPECT_EQ(
      mismatch_reason(3, "X-Sig").rfind("signature mismatch: 3 signatures in X-Sig do not", 0), 0U);
}

TEST(HmacSignature, EventIdIsTheProvidersHeaderElseTheSignedId) {
  const HmacSpec with_header{.name = "e", .header = "h", .event_id_header = "X-Delivery"};
  EXPECT_EQ(event_id_of(with_header, core::Headers{{"x-delivery", "d1"}}, std::string_view{"i"}),
            "d1");
  // The provider names its own id header: a signed id is not a substitute.
  EXPECT_FALSE(event_id_of(with_header, core::Headers{}, std::string_view{"i"}));
  const HmacSpec signed_id{.name = "s", .header = "h", .id_header = "webhook-id"};
  EXPECT_EQ(event_id_of(signed_id, core::Headers{}, std::string_view{"msg_1"}), "msg_1");
  EXPECT_FALSE(event_id_of(signed_id, core::Headers{}, std::nullopt));
}

}  // namespace
}  // namespace relay::verify::detail
