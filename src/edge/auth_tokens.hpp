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

  // cluster: tokens. The cluster's tokens as last read from Redis (hashes, never tokens),
  // searched after edge.yml's the same way. find()'s pointer into them is valid only until the
  // next set_cluster()/add_cluster(): a caller that suspends copies the token first.
  void set_cluster(std::vector<AuthToken> tokens);
  void add_cluster(AuthToken token);
  [[nodiscard]] const std::vector<AuthToken>& cluster() const { return cluster_; }

 private:
  std::vector<AuthToken> tokens_;
  std::vector<AuthToken> cluster_;  // cluster: tokens
};

}  // namespace relay::edge
