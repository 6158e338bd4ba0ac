#include "relay/store/redis/redis_url.hpp"

#include <charconv>

#include <fmt/format.h>

namespace relay::store::redis {

namespace {

constexpr std::string_view kExample = "use redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379/0";

template <class Int>
bool parse_number(std::string_view text, Int& out) {
  if (text.empty() || text.size() > 5) return false;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

std::string RedisEndpoint::display() const {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("{}{}{}:{}/{}", v6 ? "[" : "", host, v6 ? "]" : "", port, db);
}

core::Fallible<RedisEndpoint> parse_redis_url(std::string_view url) {
  RedisEndpoint out;
  std::string_view rest;
  if (url.starts_with("redis://")) {
    rest = url.substr(8);
  } else if (url.starts_with("rediss://")) {
    rest = url.substr(9);
    out.tls = true;
  } else {
    return core::Failure{.message = fmt::format("'{}' is not a redis:// URL; {}", url, kExample)};
  }
  // The password may hold '/' (file:PATH), so the user part ends at the last '@'.
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view user = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = user.find(':');
    if (colon == std::string_view::npos || colon != 0) {
      return core::Failure{
          .message =
              "only a password is supported in the Redis URL (redis://:PASSWORD@HOST:PORT/DB), "
              "not a user name"};
    }
    out.password = std::string(user.substr(colon + 1));
    if (out.password.empty()) {
      return core::Failure{.message =
                               "the Redis URL has an empty password; drop the ':@' or give one"};
    }
  }
  // rediss://: ?cacert=PATH (a path may hold '/', so the query is cut off before the DB).
  if (auto query = rest.find('?'); query != std::string_view::npos) {
    std::string_view param = rest.substr(query + 1);
    rest = rest.substr(0, query);
    constexpr std::string_view kCaCert = "cacert=";
    if (!param.starts_with(kCaCert) || param.size() == kCaCert.size() ||
        param.find('&') != std::string_view::npos) {
      return core::Failure{
          .message =
              fmt::format("'{}': the only URL parameter is ?cacert=PATH (rediss:// only), e.g. "
                          "rediss://redis.internal:6380/0?cacert=/etc/relay/redis-ca.pem",
                          param)};
    }
    if (!out.tls) {
      return core::Failure{.message =
                               "?cacert= is for rediss:// (Redis over TLS); redis:// is plain TCP"};
    }
    out.ca_file = std::string(param.substr(kCaCert.size()));
  }
  std::string_view hostport = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && (!parse_number(db, out.db) || out.db < 0)) {
      return core::Failure{
          .message =
              fmt::format("'{}' is not a Redis database number (0, 1, ...); {}", db, kExample)};
    }
  }
  std::string_view port;
  if (hostport.starts_with('[')) {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) {
      return core::Failure{
          .message = fmt::format("'{}' has an unclosed '[' in its host; {}", url, kExample)};
    }
    out.host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return core::Failure{
            .message =
                fmt::format("'{}': expected ':PORT' after the IPv6 address; {}", url, kExample)};
      }
      port = after.substr(1);
    }
  } else {
    auto colon = hostport.rfind(':');
    out.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port = hostport.substr(colon + 1);
    if (colon != std::string_view::npos && port.empty()) {
      return core::Failure{.message = fmt::format("'{}' has an empty port; {}", url, kExample)};
    }
  }
  if (out.host.empty() || out.host.find_first_of("/@ ") != std::string::npos) {
    return core::Failure{.message = fmt::format("'{}' has no valid host; {}", url, kExample)};
  }
  if (!port.empty()) {
    unsigned int p = 0;
    if (!parse_number(port, p) || p == 0 || p > 65535) {
      return core::Failure{.message =
                               fmt::format("'{}' is not a port (1-65535); {}", port, kExample)};
    }
    out.port = static_cast<unsigned short>(p);
  }
  return out;
}

}  // namespace relay::store::redis
