#include "edge/acme/jws.hpp"

#include <array>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

namespace relay::edge::acme {

namespace {

using Json = nlohmann::json;

std::string openssl_error() {
  std::array<char, 256> buf{};
  ERR_error_string_n(ERR_get_error(), buf.data(), buf.size());
  return buf.data();
}

// The coordinate as exactly 32 big-endian bytes: JWK and JWS both want fixed-width values.
std::string fixed_32(const BIGNUM* n) {
  std::array<unsigned char, 32> out{};
  if (BN_bn2binpad(n, out.data(), static_cast<int>(out.size())) != 32) {
    throw std::runtime_error("an EC value does not fit 32 bytes");
  }
  return {reinterpret_cast<const char*>(out.data()), out.size()};
}

std::string coordinate(EVP_PKEY* key, const char* name) {
  BIGNUM* n = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &n) != 1) {
    throw std::runtime_error("cannot read the account key: " + openssl_error());
  }
  std::string out = fixed_32(n);
  BN_free(n);
  return out;
}

}  // namespace

std::string base64url(std::string_view bytes) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    auto v = (static_cast<unsigned char>(bytes[i]) << 16U) |
             (static_cast<unsigned char>(bytes[i + 1]) << 8U) |
             static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18U) & 63U];
    out += kAlphabet[(v >> 12U) & 63U];
    out += kAlphabet[(v >> 6U) & 63U];
    out += kAlphabet[v & 63U];
  }
  if (const auto rest = bytes.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16U;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8U;
    out += kAlphabet[(v >> 18U) & 63U];
    out += kAlphabet[(v >> 12U) & 63U];
    if (rest == 2) out += kAlphabet[(v >> 6U) & 63U];
  }
  return out;
}

AccountKey AccountKey::generate() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) throw std::runtime_error("cannot generate an ACME key: " + openssl_error());
  return AccountKey(std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free));
}

AccountKey AccountKey::from_pem(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) throw std::runtime_error("not a PEM private key: " + openssl_error());
  std::shared_ptr<EVP_PKEY> owned(key, EVP_PKEY_free);
  std::array<char, 32> group{};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &len) != 1 ||
      std::string_view(group.data(), len) != "prime256v1") {
    throw std::runtime_error("the ACME account key is not an EC P-256 key");
  }
  return AccountKey(std::move(owned));
}

std::string AccountKey::private_pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(n)};
}

Json AccountKey::jwk() const {
  // nlohmann::json keeps object members sorted, which is RFC 7638's canonical order.
  return Json{{"crv", "P-256"},
              {"kty", "EC"},
              {"x", base64url(coordinate(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X))},
              {"y", base64url(coordinate(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y))}};
}

std::string AccountKey::thumbprint() const {
  const std::string canonical = jwk().dump();
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest.data());
  return base64url({reinterpret_cast<const char*>(digest.data()), digest.size()});
}

std::string AccountKey::sign(std::string_view data) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t der_len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    throw std::runtime_error("cannot sign an ACME request: " + openssl_error());
  }
  std::string der(der_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    throw std::runtime_error("cannot sign an ACME request: " + openssl_error());
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)), ECDSA_SIG_free);
  if (!sig) throw std::runtime_error("cannot decode an ECDSA signature: " + openssl_error());
  return fixed_32(ECDSA_SIG_get0_r(sig.get())) + fixed_32(ECDSA_SIG_get0_s(sig.get()));
}

std::string make_jws(const AccountKey& key, std::string_view kid, std::string_view nonce,
                     std::string_view url, const std::optional<Json>& payload) {
  Json header{{"alg", "ES256"}, {"nonce", nonce}, {"url", url}};
  if (kid.empty()) {
    header["jwk"] = key.jwk();
  } else {
    header["kid"] = kid;
  }
  const std::string protected_b64 = base64url(header.dump());
  const std::string payload_b64 = payload ? base64url(payload->dump()) : std::string();
  const std::string signature = key.sign(protected_b64 + "." + payload_b64);
  return Json{
      {"protected", protected_b64}, {"payload", payload_b64}, {"signature", base64url(signature)}}
      .dump();
}

std::string key_authorization(std::string_view token, const AccountKey& key) {
  return std::string(token) + "." + key.thumbprint();
}

}  // namespace relay::edge::acme
