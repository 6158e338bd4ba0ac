#include "relay/store/redis/redis_token_store.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "relay/store/error.hpp"

namespace relay::store::redis {

namespace asio = boost::asio;

RedisTokenStore::RedisTokenStore(std::shared_ptr<RedisConnection> redis, std::string prefix)
    : redis_(std::move(redis)), key_(std::move(prefix) + "tokens") {}

std::string RedisTokenStore::encode(const TokenRecord& record) {
  nlohmann::json j = {{"label", record.label}, {"reserved", record.reserved_names}};
  // Replace, not throw, on bytes that are not UTF-8: a label is the operator's text.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<TokenRecord> RedisTokenStore::decode(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto label = j.find("label");
  if (label == j.end() || !label->is_string()) return std::nullopt;
  TokenRecord record;
  record.label = label->get<std::string>();
  if (auto reserved = j.find("reserved"); reserved != j.end()) {
    if (!reserved->is_array()) return std::nullopt;
    for (const auto& name : *reserved) {
      if (!name.is_string()) return std::nullopt;
      record.reserved_names.push_back(name.get<std::string>());
    }
  }
  return record;
}

bool RedisTokenStore::is_token_hash(std::string_view text) {
  if (text.size() != 64) return false;
  return std::ranges::all_of(
      text, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

asio::awaitable<core::Result<RedisTokenStore::Tokens>> RedisTokenStore::all() {
  std::vector<std::string> hgetall{"HGETALL", key_};
  auto r = co_await redis_->command(std::move(hgetall));
  if (!r) co_return r.error();
  if (r->is_error() || r->type != RedisReply::Type::array) {
    co_return make_error_code(Errc::unavailable);
  }
  Tokens tokens;
  for (std::size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    if (!is_token_hash(r->elements[i].text)) continue;
    if (auto record = decode(r->elements[i + 1].text)) tokens[r->elements[i].text] = *record;
  }
  co_return tokens;
}

asio::awaitable<core::Result<std::optional<TokenRecord>>> RedisTokenStore::lookup(
    std::string hash) {
  std::vector<std::string> hget{"HGET", key_, std::move(hash)};
  auto r = co_await redis_->command(std::move(hget));
  if (!r) co_return r.error();
  if (r->is_error()) co_return make_error_code(Errc::unavailable);
  if (r->type != RedisReply::Type::string) co_return std::optional<TokenRecord>{};
  co_return decode(r->text);
}

asio::awaitable<core::Result<RedisTokenStore::Added>> RedisTokenStore::add(std::string hash,
                                                                           TokenRecord record) {
  auto existing = co_await all();
  if (!existing) co_return existing.error();
  for (const auto& [h, r] : *existing) {
    if (r.label == record.label) co_return Added::label_taken;
  }
  std::vector<std::string> hset{"HSET", key_, std::move(hash), encode(record)};
  auto r = co_await redis_->command(std::move(hset));
  if (!r) co_return r.error();
  if (r->is_error()) co_return make_error_code(Errc::unavailable);
  co_return Added::added;
}

asio::awaitable<core::Result<int>> RedisTokenStore::revoke(std::string label) {
  auto existing = co_await all();
  if (!existing) co_return existing.error();
  std::vector<std::string> hdel{"HDEL", key_};
  for (const auto& [h, r] : *existing) {
    if (r.label == label) hdel.push_back(h);
  }
  if (hdel.size() == 2) co_return 0;
  auto r = co_await redis_->command(std::move(hdel));
  if (!r) co_return r.error();
  if (r->is_error()) co_return make_error_code(Errc::unavailable);
  co_return static_cast<int>(r->integer);
}

}  // namespace relay::store::redis
