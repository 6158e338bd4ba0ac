#include <gtest/gtest.h>

#include "edge/acme/acme_messages.hpp"
#include "edge/acme/certificate_request.hpp"
#include "edge/acme/certificate_store.hpp"
#include "edge/acme/challenge_responder.hpp"
#include "relay/net/tls.hpp"

namespace relay::edge::acme {
namespace {

TEST(AcmeMessages, Directory) {
  auto d = parse_directory(
      R"({"newNonce":"https://ca/nonce","newAccount":"https://ca/acct","newOrder":"https://ca/order","meta":{}})");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->new_order, "https://ca/order");
  EXPECT_FALSE(parse_directory(R"({"newNonce":"x"})"));
  EXPECT_FALSE(parse_directory("[]"));
  EXPECT_FALSE(parse_directory("{"));
}

TEST(AcmeMessages, OrderAndAuthorization) {
  auto o = parse_order(
      R"({"status":"pending","authorizations":["https://ca/a/1",7],"finalize":"https://ca/f"})");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->authorizations, std::vector<std::string>{"https://ca/a/1"});
  EXPECT_EQ(o->finalize, "https://ca/f");
  auto a = parse_authorization(
      R"({"status":"pending","identifier":{"type":"dns","value":"x.relay.test"},
          "challenges":[{"type":"http-01","url":"https://ca/c/1","token":"T","status":"pending"},
                        "junk"]})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->identifier, "x.relay.test");
  ASSERT_EQ(a->challenges.size(), 1U);
  EXPECT_EQ(a->challenges[0].token, "T");
  EXPECT_FALSE(parse_authorization(R"({"challenges":[]})"));
}

TEST(AcmeMessages, HttpsUrls) {
  auto u = parse_https_url("https://127.0.0.1:14000/dir");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "14000");
  EXPECT_EQ(u->target, "/dir");
  u = parse_https_url("https://acme-v02.api.letsencrypt.org/directory");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, "443");
  u = parse_https_url("https://[::1]:8443");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->target, "/");
  EXPECT_FALSE(parse_https_url("http://ca/dir"));
  EXPECT_FALSE(parse_https_url("https://user@ca/dir"));
  EXPECT_FALSE(parse_https_url("https://ca:port/dir"));
  EXPECT_FALSE(parse_https_url("https://ca/a b"));
}

TEST(AcmeChallengeResponder, AnswersOnlyKnownTokens) {
  ChallengeResponder r;
  EXPECT_EQ(r.response_for("/.well-known/acme-challenge/T", true), "");
  r.add("T", "T.thumb");
  auto answer = r.response_for("/.well-known/acme-challenge/T", true);
  EXPECT_NE(answer.find("HTTP/1.1 200 OK\r\n"), std::string::npos);
  EXPECT_NE(answer.find("Content-Length: 7\r\n"), std::string::npos);
  EXPECT_TRUE(answer.ends_with("\r\n\r\nT.thumb"));
  EXPECT_EQ(r.response_for("/.well-known/acme-challenge/U", true), "");
  EXPECT_EQ(r.response_for("/T", true), "");
  r.remove("T");
  EXPECT_EQ(r.response_for("/.well-known/acme-challenge/T", true), "");
}

TEST(AcmeCertificateRequest, CsrAndExpiry) {
  const auto key = make_certificate_key();
  EXPECT_FALSE(make_csr_der(key, "x.relay.test").empty());
  auto self_signed = net::make_self_signed_certificate({"x.relay.test"});
  auto not_after = certificate_not_after(self_signed.cert);
  ASSERT_TRUE(not_after);
  const auto days =
      std::chrono::duration_cast<std::chrono::hours>(*not_after - core::Clock::now()).count() / 24;
  EXPECT_GE(days, 364);
  EXPECT_LE(days, 366);
  EXPECT_FALSE(
      certificate_not_after("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
}

TEST(AcmeCertificateStore, HostNamesAreSafeFileNames) {
  EXPECT_TRUE(is_certificate_host("a.relay.test"));
  EXPECT_FALSE(is_certificate_host("../etc/passwd"));
  EXPECT_FALSE(is_certificate_host("a..b"));
  EXPECT_FALSE(is_certificate_host("A.relay.test"));
  EXPECT_FALSE(is_certificate_host(""));
  EXPECT_FALSE(is_certificate_host("a/b"));
}

}  // namespace
}  // namespace relay::edge::acme
