#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

using EVP_PKEY = struct evp_pkey_st;

namespace relay::edge::acme {

// RFC 4648 §5 without padding, as JWS (RFC 7515) and ACME use it everywhere.
std::string base64url(std::string_view bytes);

// The ACME account key: EC P-256, signing with ES256. Its public half is the account's
// identity at the CA, so it is kept (certificate_store.hpp) and reused across restarts.
class AccountKey {
 public:
  static AccountKey generate();
  // Throws std::runtime_error when `pem` holds no P-256 private key.
  static AccountKey from_pem(const std::string& pem);

  [[nodiscard]] std::string private_pem() const;
  // The public key as a JWK, members in the lexicographic order RFC 7638 hashes.
  [[nodiscard]] nlohmann::json jwk() const;
  // RFC 7638 thumbprint: base64url(SHA-256(canonical JWK)); half of every key authorization.
  [[nodiscard]] std::string thumbprint() const;
  // ES256: the signature as JWS wants it, r and s as 32 big-endian bytes each (not DER).
  [[nodiscard]] std::string sign(std::string_view data) const;

 private:
  explicit AccountKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// One signed ACME request body (RFC 8555 §6.2, flattened JSON serialization). `kid` is the
// account URL; empty: the JWK itself goes in the header (newAccount only). No payload: the
// empty payload of a POST-as-GET (§6.3).
std::string make_jws(const AccountKey& key, std::string_view kid, std::string_view nonce,
                     std::string_view url, const std::optional<nlohmann::json>& payload);

// RFC 8555 §8.1: what the HTTP-01 challenge URL must answer.
std::string key_authorization(std::string_view token, const AccountKey& key);

}  // namespace relay::edge::acme
