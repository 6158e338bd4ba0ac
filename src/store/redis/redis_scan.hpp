#pragma once

#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "relay/core/result.hpp"

namespace relay::store::redis {

class RedisConnection;

namespace detail {

// Every key matching `pattern` (a glob with one trailing '*'), without the part before the '*',
// sorted and without repeats: SCAN, not KEYS, which would stall Redis on a large keyspace.
// A cursor walk ends after one full pass; its step cap only guards against a misbehaving server.
boost::asio::awaitable<core::Result<std::vector<std::string>>> scan_key_suffixes(
    RedisConnection& redis, std::string pattern);

}  // namespace detail
}  // namespace relay::store::redis
