// libFuzzer: the --cluster URL parser (store::redis::parse_redis_url), rediss:// and ?cacert=
// included. It must never crash; a refusal always says why; what it accepts has a host, a port
// and a non-negative DB, a CA file only with TLS, and a display() that does not depend on the
// password.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "relay/store/redis/redis_url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view url(reinterpret_cast<const char*>(data), size);
  auto endpoint = relay::store::redis::parse_redis_url(url);
  if (!endpoint) {
    if (endpoint.error().message.empty()) __builtin_trap();
    return 0;
  }
  if (endpoint->host.empty() || endpoint->port == 0 || endpoint->db < 0) __builtin_trap();
  if (!endpoint->ca_file.empty() && !endpoint->tls) __builtin_trap();
  // display() must not depend on the password at all. (Searching it for the password text was
  // a false alarm whenever a short password also spelled part of "host:port/db".)
  auto without_password = *endpoint;
  without_password.password = endpoint->password.empty() ? "x" : std::string();
  if (without_password.display() != endpoint->display()) __builtin_trap();
  return 0;
}
