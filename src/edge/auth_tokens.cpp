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

namespace {

void normalize(AuthToken& t) {
  t.sha256_hex = core::to_lower(t.sha256_hex);
  if (t.label.empty()) t.label = token_label(t.sha256_hex);
}

// Every entry is compared (no early exit), each in constant time.
const AuthToken* match_hash(const std::vector<AuthToken>& tokens, const std::string& hash) {
  const AuthToken* match = nullptr;
  for (const auto& t : tokens) {
    if (t.sha256_hex.size() == hash.size() &&
        CRYPTO_memcmp(t.sha256_hex.data(), hash.data(), hash.size()) == 0) {
      match = &t;
    }
  }
  return match;
}

}  // namespace

AuthTokens::AuthTokens(std::vector<AuthToken> tokens) : tokens_(std::move(tokens)) {
  for (auto& t : tokens_) normalize(t);
}

const AuthToken* AuthTokens::find(std::string_view presented) const {
  if (presented.empty()) return nullptr;
  const std::string hash = verify::sha256_hex(presented);
  const AuthToken* local = match_hash(tokens_, hash);
  const AuthToken* cluster = match_hash(cluster_, hash);  // cluster: tokens
  return local != nullptr ? local : cluster;
}

// cluster: tokens
void AuthTokens::set_cluster(std::vector<AuthToken> tokens) {
  for (auto& t : tokens) normalize(t);
  cluster_ = std::move(tokens);
}

void AuthTokens::add_cluster(AuthToken token) {
  normalize(token);
  for (auto& t : cluster_) {
    if (t.sha256_hex == token.sha256_hex) {
      t = std::move(token);
      return;
    }
  }
  cluster_.push_back(std::move(token));
}

}  // namespace relay::edge
