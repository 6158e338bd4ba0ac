#include "store/redis/redis_scan.hpp"

#include <algorithm>

#include "relay/store/error.hpp"
#include "relay/store/redis/redis_connection.hpp"

namespace relay::store::redis::detail {

boost::asio::awaitable<core::Result<std::vector<std::string>>> scan_key_suffixes(
    RedisConnection& redis, std::string pattern) {
  const std::size_t prefix = pattern.size() - 1;  // before the trailing '*'
  std::vector<std::string> out;
  std::string cursor = "0";
  for (int step = 0; step < 100'000; ++step) {
    // Named, not a temporary, in the co_await expression (a GCC 12 coroutine bug).
    std::vector<std::string> scan{"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};
    auto r = co_await redis.command(std::move(scan));
    if (!r) co_return r.error();
    if (r->type != RedisReply::Type::array || r->elements.size() != 2) {
      co_return make_error_code(Errc::unavailable);
    }
    cursor = r->elements[0].text;
    for (const auto& k : r->elements[1].elements) out.push_back(k.text.substr(prefix));
    if (cursor == "0") break;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  co_return out;
}

}  // namespace relay::store::redis::detail
