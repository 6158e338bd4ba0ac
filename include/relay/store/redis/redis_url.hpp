#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "relay/core/failure.hpp"

namespace relay::store::redis {

// Where the cluster's Redis is: redis://[:PASSWORD@]HOST[:PORT][/DB] (rediss:// for TLS, which
// takes ?cacert=PATH: trust only that CA bundle instead of the system's).
struct RedisEndpoint {
  std::string host;
  unsigned short port = 6379;
  int db = 0;
  // As written in the URL: a value, or env:NAME / file:PATH that the caller resolves (the
  // store knows nothing of secret sources). Empty: no AUTH.
  std::string password;
  bool tls = false;
  std::string ca_file;  // rediss:// only; empty: the system CA store

  // host:port/db, never the password (for logs and errors).
  [[nodiscard]] std::string display() const;
};

// Parses the URL; the failure says what is wrong and what a valid URL is.
core::Fallible<RedisEndpoint> parse_redis_url(std::string_view url);

}  // namespace relay::store::redis
