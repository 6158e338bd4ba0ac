#include "store/sqlite_queue_ops.hpp"

#include <algorithm>
#include <stdexcept>

#include <sqlite3.h>

#include "relay/store/error.hpp"
#include "store/delivery_ids.hpp"
#include "store/delivery_rules.hpp"
#include "store/stored_headers.hpp"

namespace relay::store::detail {
namespace {

// deliveries.state
constexpr int kQueued = 0;
constexpr int kDelivering = 1;
constexpr int kDelivered = 2;
constexpr int kDead = 3;

// The columns read into a Delivery, in this order; the full form adds headers and body.
#define RELAY_DELIVERY_COLUMNS                                                             \
  "seq, tunnel, state, method, path, event_id, received_at, expires_at, next_attempt_at, " \
  "attempts, last_status, last_error, updated_at, body_bytes"
constexpr int kHeadersColumn = 14;
constexpr int kBodyColumn = 15;

std::string text(sqlite3_stmt* stmt, int column) {
  const auto* p = sqlite3_column_text(stmt, column);
  return p != nullptr ? std::string(reinterpret_cast<const char*>(p),
                                    static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)))
                      : std::string();
}

std::string blob(sqlite3_stmt* stmt, int column) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, column));
  return p != nullptr ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)))
                      : std::string();
}

void bind_text(sqlite3_stmt* stmt, int index, std::string_view value) {
  sqlite3_bind_text(stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}

void bind_blob(sqlite3_stmt* stmt, int index, std::string_view value) {
  sqlite3_bind_blob64(stmt, index, value.data(), value.size(), SQLITE_STATIC);
}

// A row of RELAY_DELIVERY_COLUMNS (and headers, body when `full`); false: damaged headers.
bool read_row(sqlite3_stmt* stmt, const std::string& tag, bool full, Delivery& d) {
  d.id = make_delivery_id(tag, static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 0)));
  d.tunnel = text(stmt, 1);
  d.state = static_cast<DeliveryState>(std::clamp(sqlite3_column_int(stmt, 2), kQueued, kDead));
  d.method = text(stmt, 3);
  d.path = text(stmt, 4);
  d.event_id = text(stmt, 5);
  d.received_at_ms = sqlite3_column_int64(stmt, 6);
  d.expires_at_ms = sqlite3_column_int64(stmt, 7);
  d.next_attempt_at_ms = sqlite3_column_int64(stmt, 8);
  d.attempts = sqlite3_column_int(stmt, 9);
  d.last_status = sqlite3_column_int(stmt, 10);
  d.last_error = text(stmt, 11);
  d.updated_at_ms = sqlite3_column_int64(stmt, 12);
  d.body_bytes = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 13));
  if (!full) return true;
  auto headers = decode_headers(blob(stmt, kHeadersColumn));
  if (!headers) return false;
  d.headers = std::move(*headers);
  d.body = blob(stmt, kBodyColumn);
  return true;
}

std::string read_tag(SqliteConnection& db) {
  Statement select(db, "SELECT value FROM store_meta WHERE key = 'delivery_id_tag'");
  if (sqlite3_step(select.get()) != SQLITE_ROW) {
    throw std::runtime_error("store_meta has no delivery_id_tag");
  }
  return text(select.get(), 0);
}

}  // namespace

SqliteQueueOps::SqliteQueueOps(SqliteConnection& db, FailureLog& failures, std::uint64_t max_bytes)
    : db_(db),
      failures_(failures),
      max_bytes_(max_bytes),
      tag_(read_tag(db)),
      find_event_(db,
                  "SELECT delivery_id, seen_at FROM delivery_events "
                  "WHERE tunnel = ?1 AND event_id = ?2"),
      pending_count_(db,
                     "SELECT coalesce(sum(count), 0) FROM delivery_counts "
                     "WHERE tunnel = ?1 AND state < 2"),
      insert_(db,
              "INSERT INTO deliveries (tunnel, state, method, path, event_id, received_at, "
              "expires_at, next_attempt_at, attempts, last_status, last_error, updated_at, "
              "body_bytes, headers, body) "
              "VALUES (?1, ?10, ?2, ?3, ?4, ?5, ?6, ?11, ?12, 0, '', ?5, ?7, ?8, ?9)"),
      upsert_event_(db,
                    "INSERT INTO delivery_events (tunnel, event_id, delivery_id, seen_at, "
                    "expires_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tunnel, event_id) DO "
                    "UPDATE SET delivery_id = excluded.delivery_id, seen_at = excluded.seen_at, "
                    "expires_at = excluded.expires_at"),
      policy_window_(db, "SELECT dedupe_window_s FROM tunnel_policies WHERE name = ?1"),
      lease_(db,
             "UPDATE deliveries SET state = 1, attempts = attempts + 1, next_attempt_at = ?3, "
             "updated_at = ?2 WHERE seq IN (SELECT seq FROM deliveries INDEXED BY "
             "deliveries_pending WHERE tunnel = ?1 AND state < 2 AND next_attempt_at <= ?2 "
             "ORDER BY seq LIMIT ?4) RETURNING " RELAY_DELIVERY_COLUMNS ", headers, body"),
      ack_(db,
           "UPDATE deliveries SET state = 2, last_status = ?2, last_error = '', updated_at = ?3, "
           "headers = NULL, body = NULL WHERE seq = ?1 AND state < 2"),
      nack_(db,
            "UPDATE deliveries SET state = 0, last_status = ?2, last_error = ?3, "
            "next_attempt_at = ?4, updated_at = ?5 WHERE seq = ?1 AND state < 2"),
      dead_letter_(db,
                   "UPDATE deliveries SET state = 3, last_status = ?2, last_error = ?3, "
                   "updated_at = ?4 WHERE seq = ?1 AND state < 2"),
      expire_queued_(db,
                     "UPDATE deliveries SET state = 3, last_error = ?2, updated_at = ?1 "
                     "WHERE seq IN (SELECT seq FROM deliveries WHERE state = 0 AND "
                     "expires_at <= ?1 LIMIT ?3)"),
      remove_finished_(db,
                       "DELETE FROM deliveries WHERE seq IN (SELECT seq FROM deliveries "
                       "WHERE state >= 2 AND updated_at < ?1 LIMIT ?2)"),
      remove_events_(db,
                     "DELETE FROM delivery_events WHERE (tunnel, event_id) IN (SELECT tunnel, "
                     "event_id FROM delivery_events WHERE expires_at <= ?1 LIMIT ?2)"),
      remove_zero_counts_(db, "DELETE FROM delivery_counts WHERE count = 0"),
      next_due_(db,
                "SELECT min(next_attempt_at) FROM deliveries INDEXED BY deliveries_due "
                "WHERE tunnel = ?1 AND state < 2"),
      tunnels_with_queued_(db,
                           "SELECT DISTINCT tunnel FROM delivery_counts "
                           "WHERE state < 2 AND count > 0 ORDER BY tunnel"),
      list_all_(db, "SELECT " RELAY_DELIVERY_COLUMNS " FROM deliveries ORDER BY seq DESC LIMIT ?1"),
      list_tunnel_state_(db, "SELECT " RELAY_DELIVERY_COLUMNS
                             " FROM deliveries INDEXED BY "
                             "deliveries_by_tunnel WHERE tunnel = ?1 AND state = ?2 "
                             "ORDER BY seq DESC LIMIT ?3"),
      get_(db, "SELECT " RELAY_DELIVERY_COLUMNS ", headers, body FROM deliveries WHERE seq = ?1"),
      retry_(db,
             "UPDATE deliveries SET state = 0, attempts = 0, next_attempt_at = ?2, "
             "updated_at = ?2 WHERE seq = ?1 AND state = 3"),
      drop_(db, "DELETE FROM deliveries WHERE seq = ?1 AND state != 1"),
      purge_(db,
             "DELETE FROM deliveries WHERE seq IN (SELECT seq FROM deliveries INDEXED BY "
             "deliveries_by_tunnel WHERE tunnel = ?1 AND state = ?2 LIMIT ?3)"),
      counts_(db,
              "SELECT tunnel, state, count, bytes FROM delivery_counts WHERE count > 0 "
              "ORDER BY tunnel, state"),
      oldest_queued_(db,
                     "SELECT received_at FROM deliveries INDEXED BY deliveries_by_tunnel "
                     "WHERE tunnel = ?1 AND state = 0 ORDER BY seq LIMIT 1") {}

core::error_code SqliteQueueOps::failed(const char* op) {
  const int rc = sqlite3_extended_errcode(db_.handle());
  if ((rc & 0xff) == SQLITE_FULL && max_bytes_ > 0) {
    // The size limit (max_page_count) or the disk? Near the limit, it is the limit.
    sqlite3_int64 pages = 0;
    sqlite3_int64 max_pages = 0;
    {
      Statement count(db_, "PRAGMA page_count");
      if (sqlite3_step(count.get()) == SQLITE_ROW) pages = sqlite3_column_int64(count.get(), 0);
      Statement max(db_, "PRAGMA max_page_count");
      if (sqlite3_step(max.get()) == SQLITE_ROW) max_pages = sqlite3_column_int64(max.get(), 0);
    }
    // A request that did not fit needs at most its own size in pages: within a few MiB of the
    // limit it was the limit; far below, the disk is full.
    if (max_pages - pages <= 4096) {
      failures_.report_limit(max_bytes_);
      return make_error_code(Errc::full);
    }
  }
  failures_.report(rc, op, sqlite3_errmsg(db_.handle()));
  return make_error_code(Errc::unavailable);
}

std::optional<std::int64_t> SqliteQueueOps::sequence_of(const std::string& id) const {
  auto sequence = parse_delivery_id(tag_, id);
  if (!sequence || *sequence > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(*sequence);
}

std::int64_t SqliteQueueOps::dedupe_window_ms(const std::string& tunnel) {
  if (auto it = windows_.find(tunnel); it != windows_.end()) return it->second;
  ResetOnExit reset(policy_window_.get());
  bind_text(policy_window_.get(), 1, tunnel);
  if (sqlite3_step(policy_window_.get()) == SQLITE_ROW) {
    return sqlite3_column_int64(policy_window_.get(), 0) * 1000;
  }
  return default_dedupe_window_ms();
}

core::Result<AppendOutcome> SqliteQueueOps::append(const NewDelivery& delivery,
                                                   const core::BufferPolicy& policy) {
  const std::int64_t window = to_ms(policy.dedupe_window);
  windows_[delivery.tunnel] = window;
  if (!delivery.event_id.empty()) {
    ResetOnExit reset(find_event_.get());
    bind_text(find_event_.get(), 1, delivery.tunnel);
    bind_text(find_event_.get(), 2, delivery.event_id);
    const int rc = sqlite3_step(find_event_.get());
    if (rc == SQLITE_ROW &&
        sqlite3_column_int64(find_event_.get(), 1) >= delivery.received_at_ms - window) {
      return AppendOutcome{text(find_event_.get(), 0), true};
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return failed("append");
  }
  {
    ResetOnExit reset(pending_count_.get());
    bind_text(pending_count_.get(), 1, delivery.tunnel);
    if (sqlite3_step(pending_count_.get()) != SQLITE_ROW) return failed("append");
    const auto pending = sqlite3_column_int64(pending_count_.get(), 0);
    if (pending >= 0 && static_cast<std::uint64_t>(pending) >= policy.max_events) {
      return make_error_code(Errc::full);
    }
  }
  const auto headers = encode_headers(delivery.headers);
  const auto method = pseudo_header(delivery.headers, ":method");
  const auto path = pseudo_header(delivery.headers, ":path");
  {
    auto* s = insert_.get();
    ResetOnExit reset(s);
    bind_text(s, 1, delivery.tunnel);
    bind_text(s, 2, method);
    bind_text(s, 3, path);
    bind_text(s, 4, delivery.event_id);
    sqlite3_bind_int64(s, 5, delivery.received_at_ms);
    sqlite3_bind_int64(s, 6, delivery.received_at_ms + to_ms(policy.ttl));
    sqlite3_bind_int64(s, 7, static_cast<sqlite3_int64>(delivery.body.size()));
    bind_blob(s, 8, headers);
    bind_blob(s, 9, delivery.body);
    // Leased at once: state delivering, its first attempt, due again at the lease end.
    const bool leased = delivery.leased_until_ms != 0;
    sqlite3_bind_int(s, 10, leased ? kDelivering : kQueued);
    sqlite3_bind_int64(s, 11, leased ? delivery.leased_until_ms : delivery.received_at_ms);
    sqlite3_bind_int(s, 12, leased ? 1 : 0);
    if (sqlite3_step(s) != SQLITE_DONE) return failed("append");
  }
  AppendOutcome outcome{
      make_delivery_id(tag_, static_cast<std::uint64_t>(sqlite3_last_insert_rowid(db_.handle()))),
      false};
  if (!delivery.event_id.empty()) {
    auto* s = upsert_event_.get();
    ResetOnExit reset(s);
    bind_text(s, 1, delivery.tunnel);
    bind_text(s, 2, delivery.event_id);
    bind_text(s, 3, outcome.id);
    sqlite3_bind_int64(s, 4, delivery.received_at_ms);
    sqlite3_bind_int64(s, 5, delivery.received_at_ms + window);
    if (sqlite3_step(s) != SQLITE_DONE) return failed("append");
  }
  return outcome;
}

core::Result<void> SqliteQueueOps::remember_event(const std::string& tunnel,
                                                  const std::string& event_id,
                                                  const std::string& request_id,
                                                  std::int64_t now_ms) {
  const auto window = dedupe_window_ms(tunnel);
  auto* s = upsert_event_.get();
  ResetOnExit reset(s);
  bind_text(s, 1, tunnel);
  bind_text(s, 2, event_id);
  bind_text(s, 3, request_id);
  sqlite3_bind_int64(s, 4, now_ms);
  sqlite3_bind_int64(s, 5, now_ms + window);
  if (sqlite3_step(s) != SQLITE_DONE) return failed("remember_event");
  return {};
}

core::Result<std::optional<std::string>> SqliteQueueOps::find_event(const std::string& tunnel,
                                                                    const std::string& event_id,
                                                                    std::int64_t since_ms) {
  ResetOnExit reset(find_event_.get());
  bind_text(find_event_.get(), 1, tunnel);
  bind_text(find_event_.get(), 2, event_id);
  const int rc = sqlite3_step(find_event_.get());
  if (rc == SQLITE_ROW) {
    if (sqlite3_column_int64(find_event_.get(), 1) < since_ms) return std::optional<std::string>{};
    return std::optional<std::string>{text(find_event_.get(), 0)};
  }
  if (rc == SQLITE_DONE) return std::optional<std::string>{};
  return failed("find_event");
}

core::Result<std::vector<Delivery>> SqliteQueueOps::lease(const std::string& tunnel,
                                                          std::size_t max, std::int64_t now_ms,
                                                          std::int64_t lease_ms) {
  std::vector<Delivery> out;
  if (max == 0) return out;
  auto* s = lease_.get();
  ResetOnExit reset(s);
  bind_text(s, 1, tunnel);
  sqlite3_bind_int64(s, 2, now_ms);
  sqlite3_bind_int64(s, 3, now_ms + lease_ms);
  sqlite3_bind_int64(s, 4, static_cast<sqlite3_int64>(std::min<std::size_t>(max, INT32_MAX)));
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    Delivery d;
    if (!read_row(s, tag_, true, d)) {
      failures_.report(SQLITE_CORRUPT, "lease: a delivery's stored headers are damaged");
      return make_error_code(Errc::unavailable);
    }
    out.push_back(std::move(d));
  }
  if (rc != SQLITE_DONE) return failed("lease");
  // RETURNING gives rows in no promised order: oldest first.
  std::sort(out.begin(), out.end(), [this](const Delivery& a, const Delivery& b) {
    return *sequence_of(a.id) < *sequence_of(b.id);
  });
  return out;
}

core::Result<void> SqliteQueueOps::finish(const std::string& id, DeliveryState state, int status,
                                          const std::string& last_error, std::int64_t retry_at_ms,
                                          std::int64_t now_ms) {
  auto sequence = sequence_of(id);
  if (!sequence) return {};  // not one of ours: nothing to do, as for a dropped one
  sqlite3_stmt* s = nullptr;
  switch (state) {
    case DeliveryState::delivered:
      s = ack_.get();
      sqlite3_bind_int64(s, 3, now_ms);
      break;
    case DeliveryState::queued:
      s = nack_.get();
      bind_text(s, 3, last_error);
      sqlite3_bind_int64(s, 4, retry_at_ms);
      sqlite3_bind_int64(s, 5, now_ms);
      break;
    case DeliveryState::dead:
    case DeliveryState::delivering:
      s = dead_letter_.get();
      bind_text(s, 3, last_error);
      sqlite3_bind_int64(s, 4, now_ms);
      break;
  }
  ResetOnExit reset(s);
  sqlite3_bind_int64(s, 1, *sequence);
  sqlite3_bind_int(s, 2, status);
  if (sqlite3_step(s) != SQLITE_DONE) return failed("finish");
  return {};
}

core::Result<std::pair<std::uint64_t, bool>> SqliteQueueOps::expire_step(
    std::int64_t now_ms, std::int64_t retention_ms) {
  std::uint64_t expired = 0;
  bool more = false;
  {
    auto* s = expire_queued_.get();
    ResetOnExit reset(s);
    sqlite3_bind_int64(s, 1, now_ms);
    bind_text(s, 2, kExpiredError);
    sqlite3_bind_int(s, 3, kStepRows);
    if (sqlite3_step(s) != SQLITE_DONE) return failed("expire");
    expired = static_cast<std::uint64_t>(sqlite3_changes(db_.handle()));
    more = more || expired == kStepRows;
  }
  {
    auto* s = remove_finished_.get();
    ResetOnExit reset(s);
    sqlite3_bind_int64(s, 1, now_ms - retention_ms);
    sqlite3_bind_int(s, 2, kStepRows);
    if (sqlite3_step(s) != SQLITE_DONE) return failed("expire");
    more = more || sqlite3_changes(db_.handle()) == kStepRows;
  }
  {
    auto* s = remove_events_.get();
    ResetOnExit reset(s);
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int(s, 2, kStepRows);
    if (sqlite3_step(s) != SQLITE_DONE) return failed("expire");
    more = more || sqlite3_changes(db_.handle()) == kStepRows;
  }
  {
    ResetOnExit reset(remove_zero_counts_.get());
    if (sqlite3_step(remove_zero_counts_.get()) != SQLITE_DONE) return failed("expire");
  }
  return std::pair{expired, more};
}

core::Result<std::optional<std::int64_t>> SqliteQueueOps::next_due(const std::string& tunnel) {
  ResetOnExit reset(next_due_.get());
  bind_text(next_due_.get(), 1, tunnel);
  if (sqlite3_step(next_due_.get()) != SQLITE_ROW) return failed("next_due");
  if (sqlite3_column_type(next_due_.get(), 0) == SQLITE_NULL) {
    return std::optional<std::int64_t>{};
  }
  return std::optional<std::int64_t>{sqlite3_column_int64(next_due_.get(), 0)};
}

core::Result<std::vector<std::string>> SqliteQueueOps::tunnels_with_queued() {
  ResetOnExit reset(tunnels_with_queued_.get());
  std::vector<std::string> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(tunnels_with_queued_.get())) == SQLITE_ROW) {
    out.push_back(text(tunnels_with_queued_.get(), 0));
  }
  if (rc != SQLITE_DONE) return failed("tunnels_with_queued");
  return out;
}

core::Result<std::vector<Delivery>> SqliteQueueOps::list(const DeliveryFilter& filter) {
  std::vector<Delivery> out;
  const auto limit = static_cast<sqlite3_int64>(std::min<std::size_t>(filter.limit, INT32_MAX));
  if (limit == 0) return out;
  auto read_all = [&](sqlite3_stmt* s) -> core::error_code {
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      Delivery d;
      read_row(s, tag_, false, d);
      out.push_back(std::move(d));
    }
    return rc == SQLITE_DONE ? core::error_code{} : failed("list");
  };
  if (filter.tunnel.empty() && !filter.state) {
    ResetOnExit reset(list_all_.get());
    sqlite3_bind_int64(list_all_.get(), 1, limit);
    if (auto ec = read_all(list_all_.get())) return ec;
    return out;
  }
  // Each (tunnel, state) is one range of deliveries_by_tunnel, newest first; the newest `limit`
  // of their union are the answer (no scan of a tunnel's whole backlog to sort it).
  std::vector<std::string> tunnels;
  if (!filter.tunnel.empty()) {
    tunnels.push_back(filter.tunnel);
  } else {
    auto all = stats();
    if (!all) return all.error();
    for (const auto& s : *all) tunnels.push_back(s.tunnel);
  }
  std::vector<int> states;
  if (filter.state) {
    states.push_back(static_cast<int>(*filter.state));
  } else {
    states = {kQueued, kDelivering, kDelivered, kDead};
  }
  for (const auto& tunnel : tunnels) {
    for (int state : states) {
      auto* s = list_tunnel_state_.get();
      ResetOnExit reset(s);
      bind_text(s, 1, tunnel);
      sqlite3_bind_int(s, 2, state);
      sqlite3_bind_int64(s, 3, limit);
      if (auto ec = read_all(s)) return ec;
    }
  }
  std::sort(out.begin(), out.end(), [this](const Delivery& a, const Delivery& b) {
    return *sequence_of(a.id) > *sequence_of(b.id);
  });
  if (out.size() > filter.limit) out.resize(filter.limit);
  return out;
}

core::Result<std::optional<Delivery>> SqliteQueueOps::get(const std::string& id) {
  auto sequence = sequence_of(id);
  if (!sequence) return std::optional<Delivery>{};
  ResetOnExit reset(get_.get());
  sqlite3_bind_int64(get_.get(), 1, *sequence);
  const int rc = sqlite3_step(get_.get());
  if (rc == SQLITE_DONE) return std::optional<Delivery>{};
  if (rc != SQLITE_ROW) return failed("get");
  Delivery d;
  if (!read_row(get_.get(), tag_, true, d)) {
    failures_.report(SQLITE_CORRUPT, "get: a delivery's stored headers are damaged");
    return make_error_code(Errc::unavailable);
  }
  return std::optional<Delivery>{std::move(d)};
}

core::Result<bool> SqliteQueueOps::retry(const std::string& id, std::int64_t now_ms) {
  auto sequence = sequence_of(id);
  if (!sequence) return false;
  ResetOnExit reset(retry_.get());
  sqlite3_bind_int64(retry_.get(), 1, *sequence);
  sqlite3_bind_int64(retry_.get(), 2, now_ms);
  if (sqlite3_step(retry_.get()) != SQLITE_DONE)
    return {boost::system::in_place_error, failed("retry")};
  return sqlite3_changes(db_.handle()) > 0;
}

core::Result<bool> SqliteQueueOps::drop(const std::string& id) {
  auto sequence = sequence_of(id);
  if (!sequence) return false;
  ResetOnExit reset(drop_.get());
  sqlite3_bind_int64(drop_.get(), 1, *sequence);
  if (sqlite3_step(drop_.get()) != SQLITE_DONE)
    return {boost::system::in_place_error, failed("drop")};
  return sqlite3_changes(db_.handle()) > 0;
}

core::Result<std::pair<std::uint64_t, bool>> SqliteQueueOps::purge_step(const std::string& tunnel,
                                                                        DeliveryState state) {
  if (state == DeliveryState::delivering) return std::pair<std::uint64_t, bool>{0, false};
  ResetOnExit reset(purge_.get());
  bind_text(purge_.get(), 1, tunnel);
  sqlite3_bind_int(purge_.get(), 2, static_cast<int>(state));
  sqlite3_bind_int(purge_.get(), 3, kStepRows);
  if (sqlite3_step(purge_.get()) != SQLITE_DONE) return failed("purge");
  const int removed = sqlite3_changes(db_.handle());
  return std::pair{static_cast<std::uint64_t>(removed), removed == kStepRows};
}

core::Result<std::vector<TunnelQueueStats>> SqliteQueueOps::stats() {
  std::vector<TunnelQueueStats> out;
  {
    ResetOnExit reset(counts_.get());
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(counts_.get())) == SQLITE_ROW) {
      auto tunnel = text(counts_.get(), 0);
      if (out.empty() || out.back().tunnel != tunnel) out.push_back({.tunnel = tunnel});
      auto& s = out.back();
      const auto count = static_cast<std::uint64_t>(sqlite3_column_int64(counts_.get(), 2));
      switch (sqlite3_column_int(counts_.get(), 1)) {
        case kQueued:
          s.queued = count;
          s.queued_bytes = static_cast<std::uint64_t>(sqlite3_column_int64(counts_.get(), 3));
          break;
        case kDelivering:
          s.delivering = count;
          break;
        case kDelivered:
          s.delivered = count;
          break;
        default:
          s.dead = count;
          break;
      }
    }
    if (rc != SQLITE_DONE) return failed("stats");
  }
  for (auto& s : out) {
    if (s.queued == 0) continue;
    ResetOnExit reset(oldest_queued_.get());
    bind_text(oldest_queued_.get(), 1, s.tunnel);
    const int rc = sqlite3_step(oldest_queued_.get());
    if (rc == SQLITE_ROW) s.oldest_queued_ms = sqlite3_column_int64(oldest_queued_.get(), 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return failed("stats");
  }
  return out;
}

}  // namespace relay::store::detail
