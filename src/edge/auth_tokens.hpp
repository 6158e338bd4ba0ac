#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "relay/edge/edge_options.hpp"

namespace relay::edge {

// SHA-256 of `text`, lower-case hex.
std::string sha256_hex(std::string_view text);

// A label safe to log for a token: "tok-" and the first 8 hex digits of its hash.
std::string token_label(std::string_view sha256_hex);

// An AuthToken for a token given in the clear (flag, file), hashed at once.
AuthToken make_auth_token(std::string_view token, std::string label = {});

// The tokens an edge accepts. Lookup hashes the presented token and compares hashes in
// constant time, so neither the clear token nor timing leaks which one almost matched.
class AuthTokens {
 public:
  explicit AuthTokens(std::vector<AuthToken> tokens);

  // The matching token, or nullptr.
  [[nodiscard]] const AuthToken* find(std::string_view presented) const;
  [[nodiscard]] const std::vector<AuthToken>& all() const { return tokens_; }

 private:
  std::vector<AuthToken> tokens_;
};

}  // namespace relay::edge
