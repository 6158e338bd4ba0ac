#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "relay/edge/auth_token.hpp"
#include "relay/edge/edge_options.hpp"

namespace relay::edge {

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
