#include "relay/store/redis/redis_name_store.hpp"

#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "relay/core/log.hpp"
#include "relay/store/error.hpp"
#include "store/redis/redis_scan.hpp"

namespace relay::store::redis {

namespace asio = boost::asio;

namespace {

// KEYS[1] the name's hash, ARGV[1] the owner, ARGV[2] now (Unix seconds).
// Returns {0, owner} when the caller now owns it, {1, owner} when it owned it already, and
// {2, other} when another owner holds it. One script: no other claim runs in between.
constexpr const char* kClaimScript = R"lua(
local current = redis.call('HGET', KEYS[1], 'owner')
if not current then
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'claimed_at', ARGV[2])
  return {0, ARGV[1], ARGV[2]}
end
local at = redis.call('HGET', KEYS[1], 'claimed_at') or '0'
if current == ARGV[1] then return {1, current, at} end
return {2, current, at}
)lua";

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

core::error_code unavailable() { return make_error_code(Errc::unavailable); }

// A name's record from `HMGET key owner claimed_at` (checked to be a pair); nullopt when nobody
// owns the name.
std::optional<NameRecord> owned_record(const std::string& name, const RedisReply& reply) {
  if (reply.elements[0].is_nil()) return std::nullopt;
  NameRecord record{name, reply.elements[0].text, 0};
  try {
    record.claimed_at = std::stoll(reply.elements[1].text);
  } catch (const std::exception&) {
    record.claimed_at = 0;
  }
  return record;
}

}  // namespace

RedisNameStore::RedisNameStore(std::shared_ptr<RedisConnection> redis) : redis_(std::move(redis)) {}

std::string RedisNameStore::key(std::string_view name) { return "relay:name:" + std::string(name); }

asio::awaitable<core::Result<void>> RedisNameStore::claim_async(std::vector<std::string> names,
                                                                std::string owner) {
  co_return co_await claim_into(redis_, owners_, std::move(names), std::move(owner));
}

asio::awaitable<core::Result<void>> RedisNameStore::claim_into(
    std::shared_ptr<RedisConnection> redis, std::shared_ptr<Cache> cache,
    std::vector<std::string> names, std::string owner) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(names.size());
  const std::string now = std::to_string(unix_seconds());
  for (const auto& n : names) commands.push_back({"EVAL", kClaimScript, "1", key(n), owner, now});
  auto replies = co_await redis->pipeline(std::move(commands));
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const auto& r = replies[i];
    if (!r) co_return r.error();
    if (r->type != RedisReply::Type::array || r->elements.size() != 3) {
      core::log_event(*core::logger("relay.cluster"), spdlog::level::warn,
                      "unexpected reply to a name claim",
                      {{"tunnel", names[i]}, {"reply", r->is_error() ? r->text : "not an array"}});
      co_return unavailable();
    }
    NameRecord record{names[i], r->elements[1].text, 0};
    try {
      record.claimed_at = std::stoll(r->elements[2].text);
    } catch (const std::exception&) {
      record.claimed_at = 0;
    }
    (*cache)[names[i]] = std::move(record);
  }
  co_return core::Result<void>();
}

asio::awaitable<core::Result<void>> RedisNameStore::lookup_async(std::vector<std::string> names) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(names.size());
  for (const auto& n : names) commands.push_back({"HMGET", key(n), "owner", "claimed_at"});
  auto replies = co_await redis_->pipeline(std::move(commands));
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const auto& r = replies[i];
    if (!r) co_return r.error();
    if (r->type != RedisReply::Type::array || r->elements.size() != 2) co_return unavailable();
    if (auto record = owned_record(names[i], *r)) {
      (*owners_)[names[i]] = std::move(*record);
    } else {
      owners_->erase(names[i]);  // released since this edge last asked
    }
  }
  co_return core::Result<void>();
}

core::Result<ClaimOutcome> RedisNameStore::claim(std::string_view name, std::string_view owner) {
  if (auto found = owners_->find(name); found != owners_->end()) {
    return found->second.owner == owner ? ClaimOutcome::already_owner
                                        : ClaimOutcome::owned_by_other;
  }
  if (!redis_->available()) return unavailable();
  // A name nobody asked for by name (the edge picked it at random): taken here, confirmed in
  // the background. Should another edge have claimed the same random name in the same instant,
  // the cache learns the real owner and the next claim is refused.
  (*owners_)[std::string(name)] = NameRecord{std::string(name), std::string(owner), unix_seconds()};
  asio::co_spawn(
      redis_->get_executor(),
      [redis = redis_, cache = owners_, n = std::string(name), o = std::string(owner)]() {
        return claim_into(redis, cache, {n}, o);
      },
      [n = std::string(name)](const std::exception_ptr&, const core::Result<void>& r) {
        if (!r) {
          core::log_event(*core::logger("relay.cluster"), spdlog::level::warn,
                          "could not record a tunnel name's owner in Redis",
                          {{"tunnel", n}, {"error", r.error().message()}});
        }
      });
  return ClaimOutcome::claimed;
}

core::Result<bool> RedisNameStore::release(std::string_view name) {
  if (!redis_->available()) return {boost::system::in_place_error, unavailable()};
  const bool known = owners_->erase(std::string(name)) > 0;
  asio::co_spawn(
      redis_->get_executor(),
      [redis = redis_, k = key(name)]() -> asio::awaitable<void> {
        std::vector<std::string> del{"DEL", k};
        co_await redis->command(std::move(del));
      },
      asio::detached);
  return known;
}

core::Result<std::optional<std::string>> RedisNameStore::owner(std::string_view name) {
  if (auto found = owners_->find(name); found != owners_->end()) return found->second.owner;
  if (!redis_->available()) return unavailable();
  return std::optional<std::string>();
}

asio::awaitable<core::Result<std::vector<NameRecord>>> RedisNameStore::list_all() {
  auto scanned = co_await detail::scan_key_suffixes(*redis_, key("*"));
  if (!scanned) co_return scanned.error();
  const std::vector<std::string>& names = *scanned;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(names.size());
  for (const auto& n : names) commands.push_back({"HMGET", key(n), "owner", "claimed_at"});
  auto replies = co_await redis_->pipeline(std::move(commands));
  std::vector<NameRecord> out;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const auto& r = replies[i];
    if (!r) co_return r.error();
    if (r->type != RedisReply::Type::array || r->elements.size() != 2) co_return unavailable();
    // Released between the SCAN and now: not listed.
    if (auto record = owned_record(names[i], *r)) out.push_back(std::move(*record));
  }
  co_return out;
}

asio::awaitable<core::Result<std::optional<std::string>>> RedisNameStore::release_async(
    std::string name) {
  // One script: a claim by an edge between reading the owner and deleting would be lost.
  static constexpr const char* kReleaseScript =
      "local owner = redis.call('HGET', KEYS[1], 'owner')\n"
      "redis.call('DEL', KEYS[1])\n"
      "return owner";
  std::vector<std::string> eval{"EVAL", kReleaseScript, "1", key(name)};
  auto r = co_await redis_->command(std::move(eval));
  if (!r) co_return r.error();
  if (r->is_error()) co_return unavailable();
  owners_->erase(name);
  if (r->is_nil()) co_return std::optional<std::string>();
  co_return std::optional<std::string>(r->text);
}

core::Result<std::vector<NameRecord>> RedisNameStore::list() {
  std::vector<NameRecord> out;
  out.reserve(owners_->size());
  for (const auto& [name, record] : *owners_) out.push_back(record);
  return out;
}

}  // namespace relay::store::redis
