#pragma once

#include "relay/store/delivery_queue.hpp"
#include "store/sqlite_queue_ops.hpp"
#include "store/sqlite_writer.hpp"

namespace relay::store::detail {

// DeliveryQueue over SQLite: every call is a job for the group-commit writer thread
// (SqliteWriter), which runs SqliteQueueOps on its own connection. The calling coroutine
// resumes on its own executor once the job's transaction is committed.
class SqliteDeliveryQueue final : public DeliveryQueue {
 public:
  SqliteDeliveryQueue(SqliteWriter& writer, SqliteQueueOps& ops) : writer_(writer), ops_(ops) {}

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
  // One commit's worth of expire() or purge(): {rows, more to do}.
  Async<std::pair<std::uint64_t, bool>> expire_step(std::int64_t now_ms, std::int64_t retention_ms);
  Async<std::pair<std::uint64_t, bool>> purge_step(std::string tunnel, DeliveryState state);

  SqliteWriter& writer_;
  SqliteQueueOps& ops_;
};

}  // namespace relay::store::detail
