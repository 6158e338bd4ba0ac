#include <array>
#include <memory>

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "edge/acme/jws.hpp"

namespace relay::edge::acme {
namespace {

using Json = nlohmann::json;

std::string base64url_decode(const std::string& in) {
  std::string b64 = in;
  for (char& c : b64) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (b64.size() % 4 != 0) b64 += '=';
  std::string out(b64.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  out.resize(static_cast<std::size_t>(n) - (in.size() % 4 == 2 ? 2 : in.size() % 4 == 3 ? 1 : 0));
  return out;
}

// Verifies an ES256 JWS signature (r||s) with the public half of `key`.
bool verifies(const AccountKey& key, const std::string& signing_input, const std::string& raw) {
  const std::string pem = key.private_pem();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (raw.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get());
  const int ok = EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len),
                                  reinterpret_cast<const unsigned char*>(signing_input.data()),
                                  signing_input.size());
  OPENSSL_free(der);
  return ok == 1;
}

TEST(AcmeJws, Base64UrlHasNoPaddingAndUrlAlphabet) {
  // RFC 4648 §10 vectors, unpadded.
  EXPECT_EQ(base64url(""), "");
  EXPECT_EQ(base64url("f"), "Zg");
  EXPECT_EQ(base64url("fo"), "Zm8");
  EXPECT_EQ(base64url("foo"), "Zm9v");
  EXPECT_EQ(base64url("foob"), "Zm9vYg");
  EXPECT_EQ(base64url("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url(std::string("\xfb\xff\xfe", 3)), "-__-");
}

TEST(AcmeJws, JwkIsCanonicalAndThumbprintHashesIt) {
  auto key = AccountKey::generate();
  auto jwk = key.jwk();
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_EQ(jwk["crv"], "P-256");
  EXPECT_EQ(base64url_decode(jwk["x"].get<std::string>()).size(), 32U);
  EXPECT_EQ(base64url_decode(jwk["y"].get<std::string>()).size(), 32U);
  // RFC 7638 §3: members in lexicographic order, no whitespace.
  const std::string canonical = R"({"crv":"P-256","kty":"EC","x":")" + jwk["x"].get<std::string>() +
                                R"(","y":")" + jwk["y"].get<std::string>() + R"("})";
  EXPECT_EQ(jwk.dump(), canonical);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest.data());
  EXPECT_EQ(key.thumbprint(),
            base64url({reinterpret_cast<const char*>(digest.data()), digest.size()}));
  EXPECT_EQ(key_authorization("tok", key), "tok." + key.thumbprint());
}

TEST(AcmeJws, KeySurvivesPemRoundTrip) {
  auto key = AccountKey::generate();
  auto again = AccountKey::from_pem(key.private_pem());
  EXPECT_EQ(again.thumbprint(), key.thumbprint());
  EXPECT_THROW(AccountKey::from_pem("not a key"), std::runtime_error);
}

TEST(AcmeJws, NewAccountCarriesTheJwkLaterRequestsTheKid) {
  auto key = AccountKey::generate();
  Json payload;
  payload["termsOfServiceAgreed"] = true;
  auto first = Json::parse(make_jws(key, "", "nonce1", "https://ca/new-acct", payload));
  auto header = Json::parse(base64url_decode(first["protected"].get<std::string>()));
  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(header["nonce"], "nonce1");
  EXPECT_EQ(header["url"], "https://ca/new-acct");
  EXPECT_EQ(header["jwk"], key.jwk());
  EXPECT_FALSE(header.contains("kid"));
  EXPECT_EQ(Json::parse(base64url_decode(first["payload"].get<std::string>())), payload);
  EXPECT_TRUE(verifies(
      key, first["protected"].get<std::string>() + "." + first["payload"].get<std::string>(),
      base64url_decode(first["signature"].get<std::string>())));

  auto get = Json::parse(make_jws(key, "https://ca/acct/1", "nonce2", "https://ca/order/1", {}));
  header = Json::parse(base64url_decode(get["protected"].get<std::string>()));
  EXPECT_EQ(header["kid"], "https://ca/acct/1");
  EXPECT_FALSE(header.contains("jwk"));
  EXPECT_EQ(get["payload"], "");  // POST-as-GET
  EXPECT_TRUE(verifies(key, get["protected"].get<std::string>() + ".",
                       base64url_decode(get["signature"].get<std::string>())));
}

}  // namespace
}  // namespace relay::edge::acme
