#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "relay/core/result.hpp"
#include "relay/store/redis/redis_connection.hpp"

namespace relay::store::redis::detail {

// cluster: queue. A Lua script run by its SHA1 (EVALSHA), so a request sends the script's
// arguments rather than its text. The SHA1 is Redis's own answer to SCRIPT LOAD, asked once;
// a Redis that lost its script cache (a restart, SCRIPT FLUSH, a failover) answers NOSCRIPT,
// and the script is sent in full (EVAL), which caches it again.
class RedisScript {
 public:
  explicit RedisScript(std::string source) : source_(std::move(source)) {}

  // The script's reply (an error reply is a value, as RedisConnection::command's), or the
  // connection's failure.
  boost::asio::awaitable<core::Result<RedisReply>> run(RedisConnection& redis,
                                                       std::vector<std::string> args);

 private:
  std::string source_;
  std::string sha_;  // empty until SCRIPT LOAD answered
};

}  // namespace relay::store::redis::detail
