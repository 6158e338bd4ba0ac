#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "relay/store/delivery_queue.hpp"
#include "store/failure_log.hpp"
#include "store/sqlite_connection.hpp"

namespace relay::store::detail {

// The durable queue's operations as plain synchronous SQL on the writer thread's connection
// (schema: sqlite_store.cpp, kSchemaV2). Each runs inside the writer's batch transaction, in
// its own savepoint; SqliteDeliveryQueue makes them asynchronous.
class SqliteQueueOps {
 public:
  // Rows removed or dead-lettered per expire() or purge() step: the writer commits between
  // steps, so appends wait for one step at most, not for a million rows.
  static constexpr int kStepRows = 2000;

  SqliteQueueOps(SqliteConnection& db, FailureLog& failures, std::uint64_t max_bytes);

  // The 8 hex digits of this database's delivery ids (kept in store_meta).
  [[nodiscard]] const std::string& tag() const { return tag_; }

  core::Result<AppendOutcome> append(const NewDelivery& delivery, const core::BufferPolicy& policy);
  core::Result<void> remember_event(const std::string& tunnel, const std::string& event_id,
                                    const std::string& request_id, std::int64_t now_ms);
  core::Result<std::optional<std::string>> find_event(const std::string& tunnel,
                                                      const std::string& event_id,
                                                      std::int64_t since_ms);
  core::Result<std::vector<Delivery>> lease(const std::string& tunnel, std::size_t max,
                                            std::int64_t now_ms, std::int64_t lease_ms);
  core::Result<void> finish(const std::string& id, DeliveryState state, int status,
                            const std::string& last_error, std::int64_t retry_at_ms,
                            std::int64_t now_ms);
  // One step: {dead-lettered, more to do}.
  core::Result<std::pair<std::uint64_t, bool>> expire_step(std::int64_t now_ms,
                                                           std::int64_t retention_ms);
  core::Result<std::optional<std::int64_t>> next_due(const std::string& tunnel);
  core::Result<std::vector<std::string>> tunnels_with_queued();
  core::Result<std::vector<Delivery>> list(const DeliveryFilter& filter);
  core::Result<std::optional<Delivery>> get(const std::string& id);
  core::Result<bool> retry(const std::string& id, std::int64_t now_ms);
  core::Result<bool> drop(const std::string& id);
  // One step of one state: {removed, more to do}.
  core::Result<std::pair<std::uint64_t, bool>> purge_step(const std::string& tunnel,
                                                          DeliveryState state);
  core::Result<std::vector<TunnelQueueStats>> stats();

 private:
  core::error_code failed(const char* op);
  std::optional<std::int64_t> sequence_of(const std::string& id) const;
  std::int64_t dedupe_window_ms(const std::string& tunnel);

  SqliteConnection& db_;
  FailureLog& failures_;
  std::uint64_t max_bytes_;
  std::string tag_;
  std::map<std::string, std::int64_t> windows_;  // tunnel -> its last append's dedupe window

  Statement find_event_;
  Statement pending_count_;
  Statement insert_;
  Statement upsert_event_;
  Statement policy_window_;
  Statement lease_;
  Statement ack_;
  Statement nack_;
  Statement dead_letter_;
  Statement expire_queued_;
  Statement remove_finished_;
  Statement remove_events_;
  Statement remove_zero_counts_;
  Statement next_due_;
  Statement tunnels_with_queued_;
  Statement list_all_;
  Statement list_tunnel_state_;
  Statement get_;
  Statement retry_;
  Statement drop_;
  Statement purge_;
  Statement counts_;
  Statement oldest_queued_;
};

}  // namespace relay::store::detail
