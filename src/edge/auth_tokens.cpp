#include "edge/auth_tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "relay/core/headers.hpp"

namespace relay::edge {

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string token_label(std::string_view hash) { return "tok-" + std::string(hash.substr(0, 8)); }

AuthToken make_auth_token(std::string_view token, std::string label) {
  AuthToken t;
  t.sha256_hex = sha256_hex(token);
  t.label = label.empty() ? token_label(t.sha256_hex) : std::move(label);
  return t;
}

AuthTokens::AuthTokens(std::vector<AuthToken> tokens) : tokens_(std::move(tokens)) {
  for (auto& t : tokens_) {
    t.sha256_hex = core::to_lower(t.sha256_hex);
    if (t.label.empty()) t.label = token_label(t.sha256_hex);
  }
}

const AuthToken* AuthTokens::find(std::string_view presented) const {
  if (presented.empty()) return nullptr;
  const std::string hash = sha256_hex(presented);
  const AuthToken* match = nullptr;
  // Every entry is compared (no early exit), each in constant time.
  for (const auto& t : tokens_) {
    if (t.sha256_hex.size() == hash.size() &&
        CRYPTO_memcmp(t.sha256_hex.data(), hash.data(), hash.size()) == 0) {
      match = &t;
    }
  }
  return match;
}

}  // namespace relay::edge
