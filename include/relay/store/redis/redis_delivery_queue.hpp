#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "relay/store/delivery_queue.hpp"
#include "relay/store/redis/redis_connection.hpp"

namespace relay::store::redis {

namespace detail {
class RedisScript;
}

// cluster: queue (issue 12, docs/cluster.md "The durable queue in Redis"). The durable delivery
// queue shared by every edge of a cluster: a Redis Stream per tunnel with one consumer group
// (`edges`), each edge a consumer, for the work that is due now; a hash per delivery for its
// state, headers, body and attempts; a sorted set per tunnel for retries not yet due, moved
// into the stream by the lease when due. A delivery leased by an edge stays in the group's
// pending list until acked; when that edge dies, another takes it with XAUTOCLAIM once it has
// been idle for the lease. Every multi-key step is one Lua script (EVALSHA, EVAL when Redis
// lost its script cache), so two edges never interleave: dedupe (the event key, SET NX PX) and
// max_events hold across edges.
//
// append() returns once Redis acknowledged the write: with `appendfsync always` it is on disk,
// with `everysec` a Redis crash may lose the last second (an edge crash loses nothing).
// Every failure (Redis down, a timeout, an error reply) is Errc::unavailable, logged with its
// reason under relay.cluster (never a body). On the connection's executor only.
class RedisDeliveryQueue final : public DeliveryQueue {
 public:
  // `consumer`: this edge's name in the consumer group (its edge id). `prefix`: of every key.
  RedisDeliveryQueue(std::shared_ptr<RedisConnection> redis, std::string consumer,
                     std::string prefix = "relay:");
  ~RedisDeliveryQueue() override;
  RedisDeliveryQueue(const RedisDeliveryQueue&) = delete;
  RedisDeliveryQueue& operator=(const RedisDeliveryQueue&) = delete;

  static constexpr const char* kGroup = "edges";
  // The Pub/Sub channel on which a tunnel's name is published when one of its deliveries
  // becomes due now at another edge's append (or a retry): its agent's edge wakes at once.
  [[nodiscard]] std::string wake_channel() const { return prefix_ + "q:wake"; }

  Async<AppendOutcome> append(NewDelivery delivery, const core::BufferPolicy& policy) override;
  Async<void> remember_event(std::string tunnel, std::string event_id, std::string request_id,
                             std::int64_t now_ms) override;
  Async<std::optional<std::string>> find_event(std::string tunnel, std::string event_id,
                                               std::int64_t since_ms) override;
  Async<std::vector<Delivery>> lease(std::string tunnel, std::size_t max, std::int64_t now_ms,
                                     std::int64_t lease_ms) override;
  Async<void> ack(std::string id, int status, std::int64_t now_ms) override;
  Async<void> nack(std::string id, int status, std::string error, std::int64_t retry_at_ms,
                   std::int64_t now_ms) override;
  Async<void> dead_letter(std::string id, int status, std::string error,
                          std::int64_t now_ms) override;
  Async<std::uint64_t> expire(std::int64_t now_ms, std::int64_t retention_ms) override;
  Async<std::optional<std::int64_t>> next_due(std::string tunnel) override;
  Async<std::vector<std::string>> tunnels_with_queued() override;
  Async<std::vector<Delivery>> list(DeliveryFilter filter) override;
  Async<std::optional<Delivery>> get(std::string id) override;
  Async<bool> retry(std::string id, std::int64_t now_ms) override;
  Async<bool> drop(std::string id) override;
  Async<std::uint64_t> purge(std::string tunnel, std::optional<DeliveryState> state) override;
  Async<std::vector<TunnelQueueStats>> stats() override;

 private:
  struct Scripts;
  // Runs a script with the key prefix as ARGV[1]; a failure or error reply is logged (`what`
  // says which step) and becomes Errc::unavailable.
  boost::asio::awaitable<core::Result<RedisReply>> run(detail::RedisScript& script,
                                                       std::vector<std::string> args,
                                                       const char* what);
  Async<void> settle(std::string id, const char* outcome, int status, std::string error,
                     std::int64_t now_ms, std::int64_t retry_at_ms);

  std::shared_ptr<RedisConnection> redis_;
  std::string consumer_;
  std::string prefix_;
  std::unique_ptr<Scripts> scripts_;
};

// cluster: queue. The buffer policy of each name, shared by the edges (one hash,
// `relay:policies`, name -> policy), so that any edge queues for a buffered tunnel whose agent
// is on another edge or away. PolicyStore is synchronous: save() updates what this edge knows
// and writes to Redis in the background; all() answers from what it knows; refresh() reads
// Redis's whole hash (at connect, then every few seconds) and tells `on_change`.
class RedisPolicyStore final : public PolicyStore {
 public:
  using Policies = std::vector<std::pair<std::string, core::BufferPolicy>>;
  explicit RedisPolicyStore(std::shared_ptr<RedisConnection> redis, std::string prefix = "relay:");

  core::Result<void> save(std::string_view name, const core::BufferPolicy& policy) override;
  core::Result<Policies> all() override;
  // Reads every policy from Redis into what this edge knows; returns them.
  boost::asio::awaitable<core::Result<Policies>> refresh();
  // One name's policy, read from Redis now (an edge that just started, or has not refreshed
  // since another edge recorded it); nullopt: the name has none.
  boost::asio::awaitable<core::Result<std::optional<core::BufferPolicy>>> lookup(std::string name);

  // "mode ttl_s max_events status concurrency ordered dedupe_s"; nullopt for anything else.
  static std::string encode(const core::BufferPolicy& policy);
  static std::optional<core::BufferPolicy> decode(std::string_view text);

 private:
  std::shared_ptr<RedisConnection> redis_;
  std::string key_;
  std::shared_ptr<std::map<std::string, core::BufferPolicy>> known_ =
      std::make_shared<std::map<std::string, core::BufferPolicy>>();
};

}  // namespace relay::store::redis
