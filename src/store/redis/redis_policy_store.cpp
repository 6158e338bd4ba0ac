#include <charconv>
#include <sstream>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "relay/core/log.hpp"
#include "relay/store/error.hpp"
#include "relay/store/redis/redis_delivery_queue.hpp"

namespace relay::store::redis {

namespace asio = boost::asio;

RedisPolicyStore::RedisPolicyStore(std::shared_ptr<RedisConnection> redis, std::string prefix)
    : redis_(std::move(redis)), key_(std::move(prefix) + "policies") {}

std::string RedisPolicyStore::encode(const core::BufferPolicy& p) {
  return fmt::format("{} {} {} {} {} {} {}", core::to_string(p.mode), p.ttl.count(), p.max_events,
                     p.status, p.concurrency, p.ordered ? 1 : 0, p.dedupe_window.count());
}

std::optional<core::BufferPolicy> RedisPolicyStore::decode(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string mode;
  long long ttl = 0;
  unsigned long long max_events = 0;
  int status = 0;
  int concurrency = 0;
  int ordered = 0;
  long long window = 0;
  if (!(in >> mode >> ttl >> max_events >> status >> concurrency >> ordered >> window)) {
    return std::nullopt;
  }
  // A mode this relay does not know (written by a newer one) is left out, not guessed.
  auto parsed = core::parse_buffer_mode(mode);
  if (!parsed) return std::nullopt;
  core::BufferPolicy p;
  p.mode = *parsed;
  p.ttl = std::chrono::seconds(ttl);
  p.max_events = max_events;
  p.status = status;
  p.concurrency = concurrency;
  p.ordered = ordered != 0;
  p.dedupe_window = std::chrono::seconds(window);
  return p;
}

core::Result<void> RedisPolicyStore::save(std::string_view name, const core::BufferPolicy& policy) {
  std::vector<std::string> command;
  if (policy.enabled()) {
    (*known_)[std::string(name)] = policy;
    command = {"HSET", key_, std::string(name), encode(policy)};
  } else {
    known_->erase(std::string(name));
    command = {"HDEL", key_, std::string(name)};
  }
  // In the background: a bind must not wait on the network. Redis away, the policy holds on
  // this edge and is written again at the agent's next bind.
  asio::co_spawn(
      redis_->get_executor(),
      [redis = redis_, command = std::move(command),
       n = std::string(name)]() -> asio::awaitable<void> {
        auto copy = command;
        auto r = co_await redis->command(std::move(copy));
        if (!r || r->is_error()) {
          core::log_event(*core::logger("relay.cluster"), spdlog::level::warn,
                          "could not record a tunnel's buffer policy in Redis; other edges do "
                          "not queue for it until its agent binds it again",
                          {{"tunnel", n}, {"error", r ? r->text : redis->last_error()}});
        }
      },
      asio::detached);
  return {};
}

core::Result<RedisPolicyStore::Policies> RedisPolicyStore::all() {
  return Policies(known_->begin(), known_->end());
}

asio::awaitable<core::Result<RedisPolicyStore::Policies>> RedisPolicyStore::refresh() {
  std::vector<std::string> hgetall{"HGETALL", key_};
  auto r = co_await redis_->command(std::move(hgetall));
  if (!r) co_return r.error();
  if (r->is_error() || r->type != RedisReply::Type::array) {
    co_return make_error_code(Errc::unavailable);
  }
  std::map<std::string, core::BufferPolicy> fresh;
  for (std::size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    if (auto p = decode(r->elements[i + 1].text)) fresh[r->elements[i].text] = *p;
  }
  *known_ = fresh;
  co_return Policies(fresh.begin(), fresh.end());
}

asio::awaitable<core::Result<std::optional<core::BufferPolicy>>> RedisPolicyStore::lookup(
    std::string name) {
  std::vector<std::string> hget{"HGET", key_, name};
  auto r = co_await redis_->command(std::move(hget));
  if (!r) co_return r.error();
  if (r->is_error()) co_return make_error_code(Errc::unavailable);
  if (r->type != RedisReply::Type::string) co_return std::optional<core::BufferPolicy>{};
  auto policy = decode(r->text);
  if (policy) (*known_)[name] = *policy;
  co_return policy;
}

}  // namespace relay::store::redis
