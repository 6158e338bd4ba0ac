#include <algorithm>
#include <chrono>

#include "relay/store/error.hpp"
#include "relay/store/redis/redis_name_store.hpp"
#include "store/redis/redis_scan.hpp"

namespace relay::store::redis {

namespace asio = boost::asio;

RouteDirectory::RouteDirectory(std::shared_ptr<RedisConnection> redis, std::string edge_id,
                               std::chrono::milliseconds ttl)
    : redis_(std::move(redis)), edge_id_(std::move(edge_id)), ttl_(ttl) {}

std::string RouteDirectory::prefix(std::string_view name) {
  return "relay:route:" + std::string(name) + ":";
}

std::string RouteDirectory::key(std::string_view name) const { return prefix(name) + edge_id_; }

namespace {

core::Result<void> first_failure(const std::vector<core::Result<RedisReply>>& replies) {
  for (const auto& r : replies) {
    if (!r) return r.error();
    if (r->is_error()) return make_error_code(Errc::unavailable);
  }
  return {};
}

}  // namespace

asio::awaitable<core::Result<void>> RouteDirectory::publish(std::vector<std::string> names) {
  if (names.empty()) co_return core::Result<void>();
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<std::vector<std::string>> commands;
  commands.reserve(names.size());
  for (const auto& n : names) {
    commands.push_back({"SET", key(n), std::to_string(now_ms), "PX", std::to_string(ttl_.count())});
  }
  co_return first_failure(co_await redis_->pipeline(std::move(commands)));
}

asio::awaitable<core::Result<void>> RouteDirectory::withdraw(std::vector<std::string> names) {
  if (names.empty()) co_return core::Result<void>();
  std::vector<std::string> del{"DEL"};
  for (const auto& n : names) del.push_back(key(n));
  auto r = co_await redis_->command(std::move(del));
  if (!r) co_return r.error();
  if (r->is_error()) co_return make_error_code(Errc::unavailable);
  co_return core::Result<void>();
}

asio::awaitable<core::Result<std::vector<std::string>>> RouteDirectory::edges_for(
    std::string name) {
  co_return co_await detail::scan_key_suffixes(*redis_, prefix(name) + "*");
}

}  // namespace relay::store::redis
