// verify::looks_like_handshake and verify::event_id: what the edge tells about a webhook of a
// buffered tunnel without its secret (docs/delivery.md).
#include <gtest/gtest.h>

#include "relay/verify/registry.hpp"
#include "relay/verify/webhook_traits.hpp"

namespace relay::verify {
namespace {

const auto kNow = core::from_unix_seconds(1764000000);

bool handshake(std::string_view method, std::string_view url, const core::Headers& headers = {},
               std::string_view body = "") {
  return looks_like_handshake({method, url, headers, body});
}

TEST(LooksLikeHandshake, QueryChallenges) {
  EXPECT_TRUE(handshake("GET", "https://a.test/h?challenge=abc"));  // TokPortal, Dropbox
  EXPECT_TRUE(handshake("GET", "https://a.test/h?hub.mode=subscribe&hub.challenge=1"));  // Meta
  EXPECT_TRUE(handshake("GET", "https://a.test/h?crc_token=x"));                         // X
  EXPECT_TRUE(handshake("get", "https://a.test/h?x=1&challenge="));
  EXPECT_FALSE(handshake("GET", "https://a.test/h?chall=abc"));
  EXPECT_FALSE(handshake("GET", "https://a.test/challenge"));
  EXPECT_FALSE(handshake("POST", "https://a.test/h?challenge=abc"));  // a POST to such a URL
}

TEST(LooksLikeHandshake, HeaderChallenges) {
  EXPECT_TRUE(handshake("GET", "https://a.test/", {{"X-GCS-Webhooks-Endpoint-Verification", "v"}}));
  EXPECT_TRUE(handshake("GET", "https://a.test/", {{"x-okta-verification-challenge", "v"}}));
  EXPECT_FALSE(handshake("GET", "https://a.test/", {{"X-Other", "v"}}));
}

TEST(LooksLikeHandshake, PostBodies) {
  EXPECT_TRUE(handshake("POST", "https://a.test/", {},
                        R"({"event":"endpoint.url_validation","payload":{"plainToken":"t"}})"));
  EXPECT_TRUE(handshake("POST", "https://a.test/", {},
                        R"({"token":"x","challenge":"c","type":"url_verification"})"));
  const core::Headers discord{{"X-Signature-Ed25519", "ab"}, {"X-Signature-Timestamp", "1"}};
  EXPECT_TRUE(handshake("POST", "https://a.test/", discord, R"({"type":1,"id":"1"})"));
  EXPECT_FALSE(handshake("POST", "https://a.test/", discord, R"({"type":2})"));
  // type 1 without Discord's signature header is someone else's event.
  EXPECT_FALSE(handshake("POST", "https://a.test/", {}, R"({"type":1})"));
  // The words inside an ordinary event are not a handshake.
  EXPECT_FALSE(handshake("POST", "https://a.test/", {},
                         R"({"event":"order.paid","note":"url_validation"})"));
  EXPECT_FALSE(handshake("POST", "https://a.test/", {}, "not json url_verification"));
  EXPECT_FALSE(handshake("POST", "https://a.test/", {}, R"(["url_verification"])"));
  EXPECT_FALSE(handshake("POST", "https://a.test/", {}, ""));
  EXPECT_FALSE(handshake("PUT", "https://a.test/", {}, R"({"type":"url_verification"})"));
}

// Every handshake a provider's verifier answers is one the edge recognises without the
// secret: the union must not fall behind handshakes.cpp.
TEST(LooksLikeHandshake, CoversWhatVerifiersAnswer) {
  struct Case {
    std::string_view provider;
    std::string_view method;
    std::string_view url;
    core::Headers headers;
    std::string_view body;
  };
  const std::vector<Case> cases = {
      {"tokportal", "GET", "https://a.test/?challenge=c", {}, ""},
      {"dropbox", "GET", "https://a.test/?challenge=c", {}, ""},
      {"twitter", "GET", "https://a.test/?crc_token=c", {}, ""},
      {"worldline", "GET", "https://a.test/", {{"X-GCS-Webhooks-Endpoint-Verification", "c"}}, ""},
      {"okta", "GET", "https://a.test/", {{"X-Okta-Verification-Challenge", "c"}}, ""},
  };
  for (const auto& c : cases) {
    auto created = builtin_registry().create(c.provider, {.secret = "s"});
    ASSERT_TRUE(created) << created.error().message;
    const auto& v = *created;
    const core::RequestView request{c.method, c.url, c.headers, c.body};
    ASSERT_TRUE(v->handshake(request, kNow)) << c.provider;
    EXPECT_TRUE(looks_like_handshake(request)) << c.provider;
  }
  // Signed POST handshakes (Zoom, Slack): the verifier answers only a signed one.
  for (auto [provider, body] :
       {std::pair{"zoom", R"({"event":"endpoint.url_validation","payload":{"plainToken":"t"}})"},
        std::pair{"slack", R"({"type":"url_verification","challenge":"c"})"}}) {
    auto created = builtin_registry().create(provider, {.secret = "s"});
    ASSERT_TRUE(created) << created.error().message;
    const auto& v = *created;
    auto headers = v->sign({"POST", "https://a.test/", {}, body}, kNow);
    ASSERT_TRUE(headers) << provider;
    const core::RequestView request{"POST", "https://a.test/", *headers, body};
    ASSERT_TRUE(v->handshake(request, kNow)) << provider;
    EXPECT_TRUE(looks_like_handshake(request)) << provider;
  }
}

std::string id_of(const core::Headers& headers, std::string_view body = "{}") {
  return event_id({"POST", "https://a.test/", headers, body});
}

TEST(EventId, ProviderHeaders) {
  EXPECT_EQ(id_of({{"TokPortal-Event-Id", "evt_1"}}), "evt_1");
  EXPECT_EQ(id_of({{"svix-id", "msg_2"}}), "msg_2");
  EXPECT_EQ(id_of({{"webhook-id", "msg_3"}}), "msg_3");
  EXPECT_EQ(id_of({{"x-github-delivery", "72d3162e"}}), "72d3162e");
  EXPECT_EQ(id_of({{"X-Shopify-Webhook-Id", "b54557e4"}}), "b54557e4");
  EXPECT_EQ(id_of({{"Linear-Delivery", "d1"}}), "d1");
  EXPECT_EQ(id_of({{"Heroku-Webhook-Id", "h1"}}), "h1");
  EXPECT_EQ(id_of({{"X-WC-Webhook-Delivery-ID", "w1"}}), "w1");
  EXPECT_EQ(id_of({{"TokPortal-Event-Id", "  padded \t"}}), "padded");
}

TEST(EventId, GenericHeaderOnlyWithItsProvider) {
  EXPECT_EQ(id_of({{"Request-ID", "r1"}}), "");
  EXPECT_EQ(id_of({{"Request-ID", "r1"}, {"Sentry-Hook-Signature", "x"}}), "r1");
}

TEST(EventId, StripeBodyId) {
  const core::Headers stripe{{"Stripe-Signature", "t=1,v1=ab"}};
  EXPECT_EQ(id_of(stripe, R"({"id":"evt_1Nx","object":"event"})"), "evt_1Nx");
  EXPECT_EQ(id_of(stripe, R"({"object":"event"})"), "");
  EXPECT_EQ(id_of(stripe, R"({"id":42})"), "");
  EXPECT_EQ(id_of(stripe, "not json"), "");
  // Without Stripe's header a body id means nothing.
  EXPECT_EQ(id_of({}, R"({"id":"evt_1Nx"})"), "");
}

TEST(EventId, NoneOrUnusable) {
  EXPECT_EQ(id_of({}), "");
  EXPECT_EQ(id_of({{"svix-id", ""}}), "");
  EXPECT_EQ(id_of({{"svix-id", std::string(kMaxEventIdBytes + 1, 'a')}}), "");
  EXPECT_EQ(id_of({{"svix-id", std::string(kMaxEventIdBytes, 'a')}}),
            std::string(kMaxEventIdBytes, 'a'));
}

}  // namespace
}  // namespace relay::verify
