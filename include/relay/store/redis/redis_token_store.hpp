#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "relay/core/result.hpp"
#include "relay/store/redis/redis_connection.hpp"

namespace relay::store::redis {

// cluster: tokens (issue 12, docs/cluster.md "Authtokens in Redis"). What Redis holds for one
// authtoken: never the token, only what the edge needs besides its hash.
struct TokenRecord {
  std::string label;
  std::vector<std::string> reserved_names;
  bool operator==(const TokenRecord&) const = default;
};

// The cluster's authtokens: hash `relay:tokens`, field = SHA-256 (lower-case hex) of the token,
// value = encode(record). Every edge reads it (refresh every 2 s, lookup on a miss); `relay edge
// token add|list|revoke --cluster` writes it.
class RedisTokenStore {
 public:
  using Tokens = std::map<std::string, TokenRecord>;  // hash → record

  explicit RedisTokenStore(std::shared_ptr<RedisConnection> redis, std::string prefix = "relay:");

  // A small JSON object: {"label":"...","reserved":["name",...]}.
  static std::string encode(const TokenRecord& record);
  // nullopt for anything that is not such an object (never throws).
  static std::optional<TokenRecord> decode(std::string_view text);
  // 64 lower-case hex digits: what a field of the hash must be.
  static bool is_token_hash(std::string_view text);

  // Every token (HGETALL); fields or values that do not decode are left out.
  boost::asio::awaitable<core::Result<Tokens>> all();
  // One token by its hash (HGET): nullopt when Redis has none.
  boost::asio::awaitable<core::Result<std::optional<TokenRecord>>> lookup(std::string hash);
  enum class Added { added, label_taken };
  // HSET; label_taken when a token with the same label exists already (checked first).
  boost::asio::awaitable<core::Result<Added>> add(std::string hash, TokenRecord record);
  // Removes the tokens with this label (HDEL); how many.
  boost::asio::awaitable<core::Result<int>> revoke(std::string label);

  [[nodiscard]] const std::string& key() const { return key_; }

 private:
  std::shared_ptr<RedisConnection> redis_;
  std::string key_;
};

}  // namespace relay::store::redis
