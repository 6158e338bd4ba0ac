#include "edge/auth_tokens.hpp"

#include <openssl/crypto.h>

#include "relay/core/headers.hpp"
#include "relay/verify/crypto.hpp"

namespace relay::edge {

std::string token_label(std::string_view hash) { return "tok-" + std::string(hash.substr(0, 8)); }

AuthToken make_auth_token(std::string_view token, std::string label) {
  AuthToken t;
  t.sha256_hex = verify::sha256_hex(token);
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
  const std::string hash = verify::sha256_hex(presented);
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
