#include "relay/store/redis/redis_delivery_queue.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "relay/core/log.hpp"
#include "relay/store/error.hpp"
#include "store/delivery_ids.hpp"
#include "store/delivery_rules.hpp"
#include "store/redis/redis_queue_scripts.hpp"
#include "store/redis/redis_script.hpp"
#include "store/stored_headers.hpp"

namespace relay::store::redis {

namespace asio = boost::asio;
using Type = RedisReply::Type;
namespace sd = relay::store::detail;

struct RedisDeliveryQueue::Scripts {
  detail::RedisScript append{detail::kAppendScript};
  detail::RedisScript lease{detail::kLeaseScript};
  detail::RedisScript settle{detail::kSettleScript};
  detail::RedisScript expire{detail::kExpireScript};
  detail::RedisScript next_due{detail::kNextDueScript};
  detail::RedisScript list{detail::kListScript};
  detail::RedisScript retry{detail::kRetryScript};
  detail::RedisScript remove{detail::kRemoveScript};
  detail::RedisScript stats{detail::kStatsScript};
  detail::RedisScript remember{detail::kRememberScript};
};

namespace {

core::error_code unavailable() { return make_error_code(Errc::unavailable); }

constexpr std::chrono::milliseconds kStartupWait{2000};

std::int64_t to_int(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::int64_t to_int(const RedisReply& r) {
  return r.type == Type::integer ? static_cast<std::int64_t>(r.integer) : to_int(r.text);
}

void log_failure(const char* what, const std::string& why) {
  // The reason only: a reply never holds a body (scripts return ids and counts to errors).
  core::log_event(*core::logger("relay.cluster"), spdlog::level::err,
                  "the delivery queue in Redis failed",
                  {{"step", what}, {"error", why}, {"effect", "answered as store unavailable"}});
}

// One delivery from a script's row: {id, the summary fields (kQueuePrelude's F), [headers,
// body]}. nullopt for a row of another shape, or headers that do not decode.
std::optional<Delivery> parse_row(const RedisReply& r, bool full) {
  constexpr std::size_t kSummary = 15;
  if (r.type != Type::array || r.elements.size() != (full ? kSummary + 2 : kSummary)) {
    return std::nullopt;
  }
  const auto& e = r.elements;
  Delivery d;
  d.id = e[0].text;
  d.tunnel = e[1].text;
  auto state = parse_delivery_state(e[2].text);
  if (!state) return std::nullopt;
  d.state = *state;
  d.body_bytes = static_cast<std::uint64_t>(to_int(e[3]));
  d.method = e[4].text;
  d.path = e[5].text;
  d.event_id = e[6].text;
  d.received_at_ms = to_int(e[7]);
  d.expires_at_ms = to_int(e[8]);
  d.next_attempt_at_ms = to_int(e[9]);
  d.attempts = static_cast<int>(to_int(e[10]));
  d.last_status = static_cast<int>(to_int(e[11]));
  d.last_error = e[12].text;
  d.updated_at_ms = to_int(e[13]);
  if (full) {
    if (!e[15].text.empty()) {
      auto headers = sd::decode_headers(e[15].text);
      if (!headers) return std::nullopt;
      d.headers = std::move(*headers);
    }
    d.body = e[16].text;
  }
  return d;
}

std::int64_t sequence_of(const RedisReply& r) { return to_int(r.elements[14]); }

}  // namespace

RedisDeliveryQueue::RedisDeliveryQueue(std::shared_ptr<RedisConnection> redis, std::string consumer,
                                       std::string prefix)
    : redis_(std::move(redis)),
      consumer_(std::move(consumer)),
      prefix_(std::move(prefix)),
      scripts_(std::make_unique<Scripts>()) {}

RedisDeliveryQueue::~RedisDeliveryQueue() = default;

asio::awaitable<core::Result<RedisReply>> RedisDeliveryQueue::run(detail::RedisScript& script,
                                                                  std::vector<std::string> args,
                                                                  const char* what) {
  args.insert(args.begin(), prefix_);
  auto r = co_await script.run(*redis_, std::move(args));
  if (!r) {
    log_failure(what, redis_->last_error());
    co_return unavailable();
  }
  if (r->is_error()) {
    log_failure(what, r->text);
    co_return unavailable();
  }
  co_return r;
}

DeliveryQueue::Async<AppendOutcome> RedisDeliveryQueue::append(NewDelivery delivery,
                                                               const core::BufferPolicy& policy) {
  const auto body_bytes = std::to_string(delivery.body.size());
  std::vector<std::string> args{delivery.tunnel,
                                kGroup,
                                consumer_,
                                sd::encode_headers(delivery.headers),
                                std::move(delivery.body),
                                sd::pseudo_header(delivery.headers, ":method"),
                                sd::pseudo_header(delivery.headers, ":path"),
                                delivery.event_id,
                                std::to_string(delivery.received_at_ms),
                                std::to_string(delivery.received_at_ms + sd::to_ms(policy.ttl)),
                                std::to_string(policy.max_events),
                                std::to_string(sd::to_ms(policy.dedupe_window)),
                                std::to_string(delivery.leased_until_ms),
                                sd::random_store_tag(),
                                body_bytes};
  auto r = co_await run(scripts_->append, std::move(args), "append");
  if (!r) co_return r.error();
  if (r->type != Type::array || r->elements.empty()) co_return unavailable();
  const auto outcome = to_int(r->elements[0]);
  if (outcome == 2) co_return make_error_code(Errc::full);
  if (r->elements.size() != 2) co_return unavailable();
  co_return AppendOutcome{r->elements[1].text, outcome == 1};
}

DeliveryQueue::Async<void> RedisDeliveryQueue::remember_event(std::string tunnel,
                                                              std::string event_id,
                                                              std::string request_id,
                                                              std::int64_t now_ms) {
  std::vector<std::string> args{std::move(tunnel), std::move(event_id),
                                std::to_string(now_ms) + " " + request_id,
                                std::to_string(sd::default_dedupe_window_ms())};
  auto r = co_await run(scripts_->remember, std::move(args), "remember event");
  if (!r) co_return r.error();
  co_return core::Result<void>();
}

DeliveryQueue::Async<std::optional<std::string>> RedisDeliveryQueue::find_event(
    std::string tunnel, std::string event_id, std::int64_t since_ms) {
  std::vector<std::string> get{"GET", prefix_ + "ev:" + tunnel + ":" + event_id};
  auto r = co_await redis_->command(std::move(get));
  if (!r || r->is_error()) {
    log_failure("find event", r ? r->text : redis_->last_error());
    co_return unavailable();
  }
  if (r->is_nil()) co_return std::optional<std::string>();
  const auto space = r->text.find(' ');
  if (space == std::string::npos) co_return std::optional<std::string>();
  if (to_int(std::string_view(r->text).substr(0, space)) < since_ms) {
    co_return std::optional<std::string>();
  }
  co_return std::optional<std::string>(r->text.substr(space + 1));
}

DeliveryQueue::Async<std::vector<Delivery>> RedisDeliveryQueue::lease(std::string tunnel,
                                                                      std::size_t max,
                                                                      std::int64_t now_ms,
                                                                      std::int64_t lease_ms) {
  std::vector<Delivery> out;
  if (max == 0) co_return out;
  std::vector<std::string> args{std::move(tunnel),
                                kGroup,
                                consumer_,
                                std::to_string(max),
                                std::to_string(now_ms),
                                std::to_string(lease_ms),
                                std::to_string(now_ms + lease_ms)};
  auto r = co_await run(scripts_->lease, std::move(args), "lease");
  if (!r) co_return r.error();
  if (r->type != Type::array) co_return unavailable();
  for (const auto& row : r->elements) {
    auto d = parse_row(row, true);
    if (!d) {
      log_failure("lease", "a delivery's hash is damaged (unexpected fields)");
      continue;  // it stays leased, and lapses: no edge delivers a damaged request
    }
    out.push_back(std::move(*d));
  }
  co_return out;
}

DeliveryQueue::Async<void> RedisDeliveryQueue::settle(std::string id, const char* outcome,
                                                      int status, std::string error,
                                                      std::int64_t now_ms,
                                                      std::int64_t retry_at_ms) {
  std::vector<std::string> args{std::move(id),
                                kGroup,
                                outcome,
                                std::to_string(status),
                                std::move(error),
                                std::to_string(now_ms),
                                std::to_string(retry_at_ms)};
  auto r = co_await run(scripts_->settle, std::move(args), outcome);
  if (!r) co_return r.error();
  co_return core::Result<void>();
}

DeliveryQueue::Async<void> RedisDeliveryQueue::ack(std::string id, int status,
                                                   std::int64_t now_ms) {
  co_return co_await settle(std::move(id), "delivered", status, "", now_ms, 0);
}

DeliveryQueue::Async<void> RedisDeliveryQueue::nack(std::string id, int status, std::string error,
                                                    std::int64_t retry_at_ms, std::int64_t now_ms) {
  co_return co_await settle(std::move(id), "queued", status, std::move(error), now_ms, retry_at_ms);
}

DeliveryQueue::Async<void> RedisDeliveryQueue::dead_letter(std::string id, int status,
                                                           std::string error, std::int64_t now_ms) {
  co_return co_await settle(std::move(id), "dead", status, std::move(error), now_ms, 0);
}

DeliveryQueue::Async<std::uint64_t> RedisDeliveryQueue::expire(std::int64_t now_ms,
                                                               std::int64_t retention_ms) {
  std::vector<std::string> args{kGroup, std::to_string(now_ms), std::to_string(retention_ms),
                                std::string(sd::kExpiredError)};
  auto r = co_await run(scripts_->expire, std::move(args), "expire");
  if (!r) co_return r.error();
  co_return static_cast<std::uint64_t>(to_int(*r));
}

DeliveryQueue::Async<std::optional<std::int64_t>> RedisDeliveryQueue::next_due(std::string tunnel) {
  std::vector<std::string> args{std::move(tunnel)};
  auto r = co_await run(scripts_->next_due, std::move(args), "next due");
  if (!r) co_return r.error();
  if (r->is_nil()) co_return std::optional<std::int64_t>();
  co_return std::optional<std::int64_t>(to_int(*r));
}

DeliveryQueue::Async<std::vector<std::string>> RedisDeliveryQueue::tunnels_with_queued() {
  // The edge asks once as it starts, when the connection is often still coming up: a moment's
  // wait rather than an error line (nobody waits on this answer).
  if (!redis_->available()) co_await redis_->wait_available(kStartupWait);
  std::vector<std::string> members{"SMEMBERS", prefix_ + "q:busy"};
  auto r = co_await redis_->command(std::move(members));
  if (!r || r->is_error() || r->type != Type::array) {
    log_failure("tunnels with queued", r ? r->text : redis_->last_error());
    co_return unavailable();
  }
  std::vector<std::string> out;
  out.reserve(r->elements.size());
  for (const auto& e : r->elements) out.push_back(e.text);
  std::sort(out.begin(), out.end());
  co_return out;
}

DeliveryQueue::Async<std::vector<Delivery>> RedisDeliveryQueue::list(DeliveryFilter filter) {
  std::vector<std::string> args{filter.tunnel,
                                filter.state ? std::string(to_string(*filter.state)) : "",
                                std::to_string(filter.limit)};
  auto r = co_await run(scripts_->list, std::move(args), "list");
  if (!r) co_return r.error();
  if (r->type != Type::array) co_return unavailable();
  // Newest first across tunnels: by sequence, which only grows.
  std::vector<const RedisReply*> rows;
  for (const auto& row : r->elements) {
    if (row.type == Type::array && row.elements.size() == 15) rows.push_back(&row);
  }
  std::sort(rows.begin(), rows.end(), [](const RedisReply* a, const RedisReply* b) {
    return sequence_of(*a) > sequence_of(*b);
  });
  std::vector<Delivery> out;
  for (const auto* row : rows) {
    if (out.size() >= filter.limit) break;
    if (auto d = parse_row(*row, false)) out.push_back(std::move(*d));
  }
  co_return out;
}

DeliveryQueue::Async<std::optional<Delivery>> RedisDeliveryQueue::get(std::string id) {
  std::vector<std::string> hmget{
      "HMGET",       prefix_ + "d:" + id, "tunnel",      "state",      "body_bytes", "method",
      "path",        "event_id",          "received_at", "expires_at", "next_at",    "attempts",
      "last_status", "last_error",        "updated_at",  "seq",        "headers",    "body"};
  auto r = co_await redis_->command(std::move(hmget));
  if (!r || r->is_error() || r->type != Type::array) {
    log_failure("get", r ? r->text : redis_->last_error());
    co_return unavailable();
  }
  if (r->elements.empty() || r->elements[0].is_nil()) co_return std::optional<Delivery>();
  RedisReply row;
  row.type = Type::array;
  row.elements.reserve(r->elements.size() + 1);
  RedisReply first;
  first.type = Type::string;
  first.text = id;
  row.elements.push_back(std::move(first));
  for (auto& e : r->elements) row.elements.push_back(std::move(e));
  co_return parse_row(row, true);
}

DeliveryQueue::Async<bool> RedisDeliveryQueue::retry(std::string id, std::int64_t now_ms) {
  std::vector<std::string> args{std::move(id), std::to_string(now_ms), kGroup};
  auto r = co_await run(scripts_->retry, std::move(args), "retry");
  if (!r) co_return core::Result<bool>(boost::system::in_place_error, r.error());
  co_return to_int(*r) == 1;
}

DeliveryQueue::Async<bool> RedisDeliveryQueue::drop(std::string id) {
  std::vector<std::string> args{kGroup, "", std::move(id), ""};
  auto r = co_await run(scripts_->remove, std::move(args), "drop");
  if (!r) co_return core::Result<bool>(boost::system::in_place_error, r.error());
  co_return to_int(*r) == 1;
}

DeliveryQueue::Async<std::uint64_t> RedisDeliveryQueue::purge(std::string tunnel,
                                                              std::optional<DeliveryState> state) {
  std::vector<std::string> args{kGroup, std::move(tunnel), "",
                                state ? std::string(to_string(*state)) : ""};
  auto r = co_await run(scripts_->remove, std::move(args), "purge");
  if (!r) co_return r.error();
  co_return static_cast<std::uint64_t>(to_int(*r));
}

DeliveryQueue::Async<std::vector<TunnelQueueStats>> RedisDeliveryQueue::stats() {
  auto r = co_await run(scripts_->stats, {}, "stats");
  if (!r) co_return r.error();
  if (r->type != Type::array) co_return unavailable();
  std::vector<TunnelQueueStats> out;
  for (const auto& row : r->elements) {
    if (row.type != Type::array || row.elements.size() != 7) continue;
    const auto& e = row.elements;
    TunnelQueueStats s;
    s.tunnel = e[0].text;
    s.queued = static_cast<std::uint64_t>(to_int(e[1]));
    s.delivering = static_cast<std::uint64_t>(to_int(e[2]));
    s.delivered = static_cast<std::uint64_t>(to_int(e[3]));
    s.dead = static_cast<std::uint64_t>(to_int(e[4]));
    s.oldest_queued_ms = to_int(e[5]);
    s.queued_bytes = static_cast<std::uint64_t>(to_int(e[6]));
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.tunnel < b.tunnel; });
  co_return out;
}

}  // namespace relay::store::redis
