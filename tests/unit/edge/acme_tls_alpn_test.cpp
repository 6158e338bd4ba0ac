// TLS-ALPN-01 (RFC 8737): the challenge certificate, and spotting acme-tls/1 in a ClientHello.
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "edge/acme/tls_alpn_challenge.hpp"

namespace relay::edge::acme {
namespace {

std::string wire(std::initializer_list<std::string> names) {
  std::string list;
  for (const auto& n : names) list += static_cast<char>(n.size()) + n;
  return std::string{static_cast<char>(list.size() >> 8), static_cast<char>(list.size() & 0xff)} +
         list;
}

bool offers(const std::string& extension) {
  return offers_acme_tls(reinterpret_cast<const unsigned char*>(extension.data()),
                         extension.size());
}

TEST(TlsAlpnChallenge, SpotsAcmeTlsAmongTheOfferedProtocols) {
  EXPECT_TRUE(offers(wire({"acme-tls/1"})));
  EXPECT_TRUE(offers(wire({"h2", "http/1.1", "acme-tls/1"})));
  EXPECT_FALSE(offers(wire({"h2", "http/1.1"})));
  EXPECT_FALSE(offers(wire({"acme-tls/10"})));
}

TEST(TlsAlpnChallenge, MalformedExtensionsOfferNothing) {
  EXPECT_FALSE(offers_acme_tls(nullptr, 0));
  EXPECT_FALSE(offers(""));
  EXPECT_FALSE(offers(std::string("\x00", 1)));
  auto longer = wire({"acme-tls/1"});
  longer[1] = static_cast<char>(longer[1] + 1);  // the list claims a byte more than there is
  EXPECT_FALSE(offers(longer));
  auto overrun = wire({"acme-tls/1"});
  overrun[2] = 40;  // a name running past the end
  EXPECT_FALSE(offers(overrun));
  EXPECT_FALSE(offers(std::string("\x00\x01\x00", 3)));  // an empty name
}

TEST(TlsAlpnChallenge, CertificateNamesTheHostAndCarriesTheKeyAuthorizationDigest) {
  const std::string key_authorization = "token.thumbprint";
  const auto pem = make_tls_alpn_certificate("hook.relay.test", key_authorization);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.cert.data(), static_cast<int>(pem.cert.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_host(cert.get(), "hook.relay.test", 0, 0, nullptr), 1);

  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> oid(
      OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1), ASN1_OBJECT_free);
  const int at = X509_get_ext_by_OBJ(cert.get(), oid.get(), -1);
  ASSERT_GE(at, 0) << "no acmeIdentifier extension";
  X509_EXTENSION* ext = X509_get_ext(cert.get(), at);
  EXPECT_EQ(X509_EXTENSION_get_critical(ext), 1);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
  std::string expected = {0x04, 0x20};
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key_authorization.data()), key_authorization.size(),
         digest);
  expected.append(reinterpret_cast<const char*>(digest), sizeof digest);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                        static_cast<std::size_t>(ASN1_STRING_length(value))),
            expected);
  EXPECT_NE(pem.key.find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace relay::edge::acme
