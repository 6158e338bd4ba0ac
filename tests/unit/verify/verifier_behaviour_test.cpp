// Behaviour across verifier families: tolerance both ways, multiple signatures, event ids,
// sign → verify round trips for every provider that can sign, handshakes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "relay/verify/crypto.hpp"
#include "relay/verify/registry.hpp"

namespace relay::verify {
namespace {

const auto kNow = core::from_unix_seconds(1764000000);

VerifierPtr make(std::string_view provider, VerifierOptions options) {
  auto created = builtin_registry().create(provider, options);
  EXPECT_TRUE(created) << created.error().message;
  return created ? std::move(*created) : nullptr;
}

Verdict check(const Verifier& v, const core::Headers& h, std::string_view body,
              core::Clock::time_point now = kNow, std::string_view url = "https://x.test/h") {
  return v.verify({"POST", url, h, body}, now);
}

TEST(Tiktok, ToleranceBothWaysWithReasons) {
  const auto v = make("tiktok", {.secret = "s"});
  const auto signed_at = core::from_unix_seconds(1764000000 - 1712);
  core::Headers h = *v->sign({"POST", "", {}, "{}"}, signed_at);
  auto verdict = check(*v, h, "{}");
  EXPECT_EQ(verdict.code, VerdictCode::stale_timestamp);
  EXPECT_EQ(verdict.reason, "stale timestamp: 1712 s old, tolerance 180 s");
  EXPECT_EQ(verdict.provider, "tiktok");
  h = *v->sign({"POST", "", {}, "{}"}, core::from_unix_seconds(1764000000 + 181));
  EXPECT_EQ(check(*v, h, "{}").code, VerdictCode::future_timestamp);
  h = *v->sign({"POST", "", {}, "{}"}, core::from_unix_seconds(1764000000 + 179));
  EXPECT_TRUE(check(*v, h, "{}").ok());
  const auto loose = make("tiktok", {.secret = "s", .tolerance = std::chrono::seconds{2000}});
  h = *loose->sign({"POST", "", {}, "{}"}, signed_at);
  EXPECT_TRUE(check(*loose, h, "{}").ok());
}

TEST(Tiktok, ReasonsDistinguishMissingMalformedMismatch) {
  const auto v = make("tiktok", {.secret = "s"});
  EXPECT_EQ(check(*v, {}, "{}").code, VerdictCode::missing_header);
  EXPECT_EQ(check(*v, {{"TikTok-Signature", "garbage"}}, "{}").code, VerdictCode::malformed_header);
  EXPECT_EQ(check(*v, {{"TikTok-Signature", "s=00"}}, "{}").code, VerdictCode::malformed_header);
  EXPECT_EQ(check(*v, {{"TikTok-Signature", "t=abc,s=00"}}, "{}").code,
            VerdictCode::malformed_header);
  EXPECT_EQ(check(*v, {{"TikTok-Signature", "t=1764000000,s=00"}}, "{}").code,
            VerdictCode::signature_mismatch);
}

TEST(Stripe, AnyOfSeveralSignaturesMatches) {
  const auto v = make("stripe", {.secret = "whsec_x"});
  const auto good = hex_encode(hmac(HashAlgorithm::sha256, "whsec_x", "1764000000.{}"));
  EXPECT_TRUE(
      check(*v, {{"Stripe-Signature", "t=1764000000,v1=" + std::string(64, 'a') + ",v1=" + good}},
            "{}")
          .ok());
  EXPECT_FALSE(check(*v, {{"Stripe-Signature", "t=1764000000,v0=" + good}}, "{}").ok());
}

TEST(TokPortal, EventIdAndLegacyHeaderAndChallenge) {
  const auto v = make("tokportal", {.secret = "whsec_tp"});
  core::Headers h = *v->sign({"POST", "", {}, "{}"}, kNow);
  h.add("TokPortal-Event-Id", "evt_1");
  const auto verdict = check(*v, h, "{}");
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(verdict.event_id.value_or(""), "evt_1");
  // The integration-guide form counts only when it is the only signature header.
  const auto legacy = hex_encode(hmac(HashAlgorithm::sha256, "whsec_tp", "{}"));
  EXPECT_TRUE(check(*v, {{"X-TokPortal-Signature", legacy}}, "{}").ok());
  EXPECT_FALSE(
      check(*v, {{"X-TokPortal-Signature", legacy}, {"TokPortal-Signature", "t=1,v1=00"}}, "{}")
          .ok());
  const core::Headers none;
  const auto reply = v->handshake({"GET", "https://x.test/h?challenge=abc%20d", none, ""}, kNow);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "abc d");
  EXPECT_FALSE(v->handshake({"POST", "https://x.test/h", none, "{}"}, kNow));
}

TEST(Zoom, UrlValidationOnlyWhenSigned) {
  const auto v = make("zoom", {.secret = "zs"});
  const std::string body = R"({"event":"endpoint.url_validation","payload":{"plainToken":"pt"}})";
  const core::Headers unsigned_headers;
  // An unsigned challenge would turn relay into an HMAC oracle: no answer, verify() rejects it.
  EXPECT_FALSE(v->handshake({"POST", "https://x.test/", unsigned_headers, body}, kNow));
  const auto h = *v->sign({"POST", "", {}, body}, kNow);
  const auto reply = v->handshake({"POST", "https://x.test/", h, body}, kNow);
  ASSERT_TRUE(reply);
  const auto json = nlohmann::json::parse(reply->body);
  EXPECT_EQ(json["plainToken"], "pt");
  EXPECT_EQ(json["encryptedToken"], hex_encode(hmac(HashAlgorithm::sha256, "zs", "pt")));
  EXPECT_EQ(reply->headers.get("Content-Type").value_or(""), "application/json");
}

TEST(Meta, HubChallengeNeedsTheConfiguredVerifyToken) {
  const auto v = make("facebook_graph_api", {.secret = "s", .params = {{"verify_token", "vt"}}});
  const core::Headers none;
  const auto ok = v->handshake(
      {"GET", "https://x/?hub.mode=subscribe&hub.challenge=42&hub.verify_token=vt", none, ""},
      kNow);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "42");
  const auto bad = v->handshake(
      {"GET", "https://x/?hub.mode=subscribe&hub.challenge=42&hub.verify_token=no", none, ""},
      kNow);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 403);
}

TEST(Twitter, CrcResponseToken) {
  const auto v = make("twitter", {.secret = "cs"});
  const core::Headers none;
  const auto reply = v->handshake({"GET", "https://x/?crc_token=abc", none, ""}, kNow);
  ASSERT_TRUE(reply);
  EXPECT_EQ(nlohmann::json::parse(reply->body)["response_token"],
            "sha256=" + base64_encode(hmac(HashAlgorithm::sha256, "cs", "abc")));
}

TEST(GenericHmac, TemplateWithUrlAndTimestamp) {
  const auto v = make("hmac", {.secret = "k",
                               .params = {{"header", "X-Sig"},
                                          {"encoding", "base64"},
                                          {"prefix", "v1="},
                                          {"template", "{method} {url} {timestamp} {body}"},
                                          {"timestamp_header", "X-Time"}}});
  const core::Headers none;
  const auto h = *v->sign({"POST", "https://x.test/h", none, "b"}, kNow);
  EXPECT_EQ(h.get("X-Sig").value_or(""),
            "v1=" + base64_encode(
                        hmac(HashAlgorithm::sha256, "k", "POST https://x.test/h 1764000000 b")));
  EXPECT_TRUE(check(*v, h, "b").ok());
  EXPECT_FALSE(check(*v, h, "b", kNow, "https://x.test/other").ok());
}

TEST(AllProviders, SignThenVerifyRoundTrip) {
  for (const auto& info : builtin_registry().providers()) {
    VerifierOptions options{.secret = "whsec_" + base64_encode("round-trip-key-0123456789")};
    if (info.name == "microsoft_teams" || info.name == "brex") options.secret = base64_encode("k");
    if (info.name == "hmac") options.params = {{"header", "X-Sig"}};
    auto created = builtin_registry().create(info.name, options);
    if (!created) continue;  // public-key providers reject this secret: covered by vectors
    const auto& v = *created;
    const std::string body = R"({"webhookTimestamp":1764000000000})";
    const core::Headers none;
    const auto h = v->sign({"POST", "https://x.test/h", none, body}, kNow);
    if (!h) continue;
    EXPECT_TRUE(check(*v, *h, body).ok()) << info.name << ": " << check(*v, *h, body).reason;
    // Token schemes do not cover the body; Twilio covers a JSON body only through a bodySHA256
    // URL parameter, which this URL lacks.
    const bool body_covered = info.name != "gitlab" && info.name != "okta" && info.name != "twilio";
    EXPECT_EQ(check(*v, *h, body + " ").ok(), !body_covered) << info.name;
  }
}

}  // namespace
}  // namespace relay::verify
