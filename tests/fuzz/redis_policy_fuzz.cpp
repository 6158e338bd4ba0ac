// cluster: queue. A buffer policy as the cluster's Redis holds it (`relay:policies`,
// RedisPolicyStore::decode): any bytes another process wrote there decode to a policy or to
// nullopt, and a decoded policy survives encode/decode unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "relay/store/redis/redis_delivery_queue.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using relay::store::redis::RedisPolicyStore;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = RedisPolicyStore::decode(text);
  if (policy) {
    auto again = RedisPolicyStore::decode(RedisPolicyStore::encode(*policy));
    if (!again || !(*again == *policy)) std::abort();
  }
  return 0;
}
