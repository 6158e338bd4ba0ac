#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <fmt/format.h>
#include <sqlite3.h>

#include "relay/core/log.hpp"
#include "relay/core/private_files.hpp"
#include "relay/store/error.hpp"
#include "relay/store/state_dir.hpp"
#include "relay/store/store.hpp"
#include "store/failure_log.hpp"
#include "store/sqlite_connection.hpp"
#include "store/sqlite_delivery_queue.hpp"
#include "store/sqlite_policy_store.hpp"
#include "store/sqlite_queue_ops.hpp"
#include "store/sqlite_writer.hpp"

namespace relay::store {
namespace {

using detail::ResetOnExit;
using detail::SqliteConnection;
using detail::Statement;

// The schema this relay writes. A newer file (a downgrade) is refused rather than misread.
constexpr int kSchemaVersion = 2;

// WAL: the running edge and `relay edge queue|names` share the file, and a commit appends to
// the log instead of rewriting pages. synchronous=FULL: every commit is fsync'd before it
// returns, so a claim, a saved policy or an appended delivery acknowledged to anyone survives a
// power cut. The queue's commits come from its group-commit thread (many appends, one fsync).
// journal_size_limit: the WAL is truncated back to 64 MiB after a checkpoint.
constexpr const char* kPragmas = R"sql(
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = FULL;
  PRAGMA foreign_keys = ON;
  PRAGMA journal_size_limit = 67108864;
)sql";

constexpr const char* kSchemaV1 = R"sql(
  CREATE TABLE tunnel_names (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,     -- SHA-256 (hex) of the authtoken, never the token
    claimed_at INTEGER NOT NULL   -- Unix seconds
  ) WITHOUT ROWID;
)sql";

// Issue 11, durable delivery. deliveries: one row per stored request; `seq` gives the ids
// ("<delivery_id_tag>-<seq>", AUTOINCREMENT: never reused) and the order; the blobs come last so
// that reading a row's small columns does not read its body. headers: stored_headers.hpp.
// state: 0 queued, 1 delivering, 2 delivered (headers and body NULL), 3 dead. The indexes are
// partial, so an append touches only what a queued row needs:
//   deliveries_pending    lease: a tunnel's queued/leased rows in append order (covering)
//   deliveries_due        next_due: a tunnel's earliest next attempt
//   deliveries_by_tunnel  list, purge, the oldest queued: a tunnel's rows of one state
//   deliveries_expiry     expire: queued rows past their ttl
//   deliveries_finished   expire: delivered and dead rows past the retention
//   deliveries_leased     at open: rows a dead edge left delivering
// delivery_counts: per tunnel and state, kept by triggers in the same transaction, so that
// buffer_max is checked and `relay edge queue stats` answers without counting a backlog.
// delivery_events: the dedupe window (event ids appended or taken live).
// tunnel_policies: the buffer policy each owned name was bound with.
constexpr const char* kSchemaV2 = R"sql(
  CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO store_meta (key, value)
    VALUES ('delivery_id_tag', lower(hex(randomblob(4))));

  CREATE TABLE deliveries (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    tunnel          TEXT NOT NULL,
    state           INTEGER NOT NULL,
    method          TEXT NOT NULL,
    path            TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    received_at     INTEGER NOT NULL,   -- Unix ms
    expires_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,   -- queued: due from; delivering: lease end
    attempts        INTEGER NOT NULL,
    last_status     INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    updated_at      INTEGER NOT NULL,
    body_bytes      INTEGER NOT NULL,
    headers         BLOB,
    body            BLOB
  );
  CREATE INDEX deliveries_pending ON deliveries (tunnel, seq, next_attempt_at) WHERE state < 2;
  CREATE INDEX deliveries_due ON deliveries (tunnel, next_attempt_at) WHERE state < 2;
  CREATE INDEX deliveries_by_tunnel ON deliveries (tunnel, state, seq);
  CREATE INDEX deliveries_expiry ON deliveries (expires_at) WHERE state = 0;
  CREATE INDEX deliveries_finished ON deliveries (updated_at) WHERE state >= 2;
  CREATE INDEX deliveries_leased ON deliveries (seq) WHERE state = 1;

  CREATE TABLE delivery_counts (
    tunnel TEXT NOT NULL,
    state  INTEGER NOT NULL,
    count  INTEGER NOT NULL,
    bytes  INTEGER NOT NULL,   -- body bytes
    PRIMARY KEY (tunnel, state)
  ) WITHOUT ROWID;
  CREATE TRIGGER deliveries_count_insert AFTER INSERT ON deliveries BEGIN
    INSERT INTO delivery_counts (tunnel, state, count, bytes)
      VALUES (new.tunnel, new.state, 1, new.body_bytes)
      ON CONFLICT (tunnel, state) DO UPDATE SET count = count + 1, bytes = bytes + excluded.bytes;
  END;
  CREATE TRIGGER deliveries_count_delete AFTER DELETE ON deliveries BEGIN
    UPDATE delivery_counts SET count = count - 1, bytes = bytes - old.body_bytes
      WHERE tunnel = old.tunnel AND state = old.state;
  END;
  CREATE TRIGGER deliveries_count_state AFTER UPDATE OF state ON deliveries
      WHEN old.state != new.state BEGIN
    UPDATE delivery_counts SET count = count - 1, bytes = bytes - old.body_bytes
      WHERE tunnel = old.tunnel AND state = old.state;
    INSERT INTO delivery_counts (tunnel, state, count, bytes)
      VALUES (new.tunnel, new.state, 1, new.body_bytes)
      ON CONFLICT (tunnel, state) DO UPDATE SET count = count + 1, bytes = bytes + excluded.bytes;
  END;

  CREATE TABLE delivery_events (
    tunnel      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    delivery_id TEXT NOT NULL,      -- or the request id of one taken live
    seen_at     INTEGER NOT NULL,   -- Unix ms
    expires_at  INTEGER NOT NULL,   -- seen_at + the tunnel's dedupe window
    PRIMARY KEY (tunnel, event_id)
  ) WITHOUT ROWID;
  CREATE INDEX delivery_events_expiry ON delivery_events (expires_at);

  CREATE TABLE tunnel_policies (
    name            TEXT PRIMARY KEY,
    mode            TEXT NOT NULL,   -- offline | always
    ttl_s           INTEGER NOT NULL,
    max_events      INTEGER NOT NULL,
    status          INTEGER NOT NULL,
    concurrency     INTEGER NOT NULL,
    ordered         INTEGER NOT NULL,
    dedupe_window_s INTEGER NOT NULL
  ) WITHOUT ROWID;
)sql";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string column_text(sqlite3_stmt* stmt, int column) {
  const auto* text = sqlite3_column_text(stmt, column);
  return text != nullptr ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}

void bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

// Creates the schema, or checks the one that is there. In one IMMEDIATE transaction: two
// processes opening a new file at once do not both create it.
void migrate(SqliteConnection& db) {
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    int version = 0;
    {
      Statement select(db, "SELECT max(version) FROM schema_version");
      if (sqlite3_step(select.get()) == SQLITE_ROW) version = sqlite3_column_int(select.get(), 0);
    }
    if (version > kSchemaVersion) {
      throw std::runtime_error(fmt::format(
          "it was written by a newer relay (schema {}, this relay knows {}); run that version",
          version, kSchemaVersion));
    }
    if (version < 1) {
      db.exec(kSchemaV1);
      db.exec("INSERT INTO schema_version (version) VALUES (1)");
    }
    if (version < 2) {
      db.exec(kSchemaV2);
      db.exec("INSERT INTO schema_version (version) VALUES (2)");
    }
    // Future versions migrate here, one step at a time, inside this transaction.
    db.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

// A page-level check of the names table only, cheap: the queue is not scanned at every start (a
// million queued rows must not delay it); damage there shows as SQLITE_CORRUPT when touched,
// and is logged with what to do.
void check_integrity(SqliteConnection& db) {
  Statement check(db, "PRAGMA quick_check(tunnel_names)");
  if (sqlite3_step(check.get()) != SQLITE_ROW) throw std::runtime_error(db.last_error());
  if (auto verdict = column_text(check.get(), 0); verdict != "ok") {
    throw std::runtime_error("integrity check: " + verdict);
  }
}

class SqliteNameStore final : public NameStore {
 public:
  explicit SqliteNameStore(SqliteConnection& db)
      : db_(db),
        select_owner_(db, "SELECT owner FROM tunnel_names WHERE name = ?"),
        insert_(db,
                "INSERT INTO tunnel_names (name, owner, claimed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO NOTHING"),
        delete_(db, "DELETE FROM tunnel_names WHERE name = ?"),
        select_all_(db, "SELECT name, owner, claimed_at FROM tunnel_names ORDER BY name") {}

  core::Result<ClaimOutcome> claim(std::string_view name, std::string_view owner) override {
    // Read first: a name that is owned already (every reconnect) costs no write and no fsync.
    auto current = this->owner(name);
    if (!current) return current.error();
    if (!*current) {
      ResetOnExit reset(insert_.get());
      bind_text(insert_.get(), 1, name);
      bind_text(insert_.get(), 2, owner);
      sqlite3_bind_int64(insert_.get(), 3, unix_now());
      if (sqlite3_step(insert_.get()) != SQLITE_DONE) return failed("claim");
      if (sqlite3_changes(db_.handle()) == 1) return ClaimOutcome::claimed;
      current = this->owner(name);  // another process claimed it between the two statements
      if (!current) return current.error();
      if (!*current) return failed("claim");
    }
    return **current == owner ? ClaimOutcome::already_owner : ClaimOutcome::owned_by_other;
  }

  core::Result<bool> release(std::string_view name) override {
    ResetOnExit reset(delete_.get());
    bind_text(delete_.get(), 1, name);
    if (sqlite3_step(delete_.get()) != SQLITE_DONE) {
      return {boost::system::in_place_error, failed("release")};
    }
    return sqlite3_changes(db_.handle()) > 0;
  }

  core::Result<std::optional<std::string>> owner(std::string_view name) override {
    ResetOnExit reset(select_owner_.get());
    bind_text(select_owner_.get(), 1, name);
    const int rc = sqlite3_step(select_owner_.get());
    if (rc == SQLITE_ROW) return std::optional<std::string>{column_text(select_owner_.get(), 0)};
    if (rc == SQLITE_DONE) return std::optional<std::string>{};
    return failed("read");
  }

  core::Result<std::vector<NameRecord>> list() override {
    ResetOnExit reset(select_all_.get());
    std::vector<NameRecord> out;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(select_all_.get())) == SQLITE_ROW) {
      out.push_back({column_text(select_all_.get(), 0), column_text(select_all_.get(), 1),
                     sqlite3_column_int64(select_all_.get(), 2)});
    }
    if (rc != SQLITE_DONE) return failed("list");
    return out;
  }

 private:
  core::error_code failed(const char* what) {
    core::log_event(*core::logger("relay.store"), spdlog::level::err,
                    "the edge's state database failed",
                    {{"op", what}, {"file", db_.file().string()}, {"err", db_.last_error()}});
    return make_error_code(Errc::unavailable);
  }

  SqliteConnection& db_;
  Statement select_owner_;
  Statement insert_;
  Statement delete_;
  Statement select_all_;
};

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The size limit, per connection: SQLite refuses (SQLITE_FULL) to grow the file past it.
void limit_size(SqliteConnection& db, std::uint64_t max_bytes) {
  if (max_bytes == 0) return;
  Statement page_size(db, "PRAGMA page_size");
  if (sqlite3_step(page_size.get()) != SQLITE_ROW) throw std::runtime_error(db.last_error());
  const auto pages = std::max<std::uint64_t>(
      max_bytes / static_cast<std::uint64_t>(sqlite3_column_int64(page_size.get(), 0)), 16);
  db.exec(fmt::format("PRAGMA max_page_count = {}", pages).c_str());
}

// Names and policies on the io thread's connection (synchronous, rare); the delivery queue on
// the writer thread's own connection (SqliteWriter).
class SqliteStore final : public Store {
 public:
  SqliteStore(const std::filesystem::path& file, bool create, std::uint64_t max_bytes)
      : failures_(file),
        db_(file, create),
        names_(prepare(db_, create, max_bytes)),
        policies_(db_, failures_),
        writer_db_(file, false),
        ops_(prepare_writer(writer_db_, max_bytes), failures_, max_bytes),
        writer_(writer_db_, failures_),
        deliveries_(writer_, ops_) {}
  NameStore& names() override { return names_; }
  PolicyStore& policies() override { return policies_; }
  DeliveryQueue& deliveries() override { return deliveries_; }

 private:
  static SqliteConnection& prepare(SqliteConnection& db, bool edge, std::uint64_t max_bytes) {
    db.exec(kPragmas);
    migrate(db);
    check_integrity(db);
    limit_size(db, max_bytes);
    if (edge) {
      // The queue's writer checkpoints from a thread of its own (WalCheckpointer); a commit
      // on this io-thread connection must not copy megabytes instead.
      db.exec("PRAGMA wal_autocheckpoint = 0");
      // This edge is the file's only writer of deliveries: what a dead one was delivering is
      // due again now. An operator command (OpenMode::existing) leaves the running edge's alone.
      Statement requeue(db,
                        "UPDATE deliveries SET state = 0, "
                        "next_attempt_at = min(next_attempt_at, ?1) WHERE state = 1");
      sqlite3_bind_int64(requeue.get(), 1, unix_now_ms());
      if (sqlite3_step(requeue.get()) != SQLITE_DONE) throw std::runtime_error(db.last_error());
    }
    return db;
  }
  static SqliteConnection& prepare_writer(SqliteConnection& db, std::uint64_t max_bytes) {
    db.exec(kPragmas);
    limit_size(db, max_bytes);
    return db;
  }

  detail::FailureLog failures_;
  SqliteConnection db_;
  SqliteNameStore names_;
  detail::SqlitePolicyStore policies_;
  SqliteConnection writer_db_;
  detail::SqliteQueueOps ops_;
  detail::SqliteWriter writer_;  // its thread stops before the connection it uses closes
  detail::SqliteDeliveryQueue deliveries_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& state_dir, OpenMode mode,
                                         std::uint64_t max_bytes) {
  const auto file = state_dir / kEdgeDatabaseFile;
  if (mode == OpenMode::existing) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      throw std::runtime_error(fmt::format(
          "{} does not exist: no edge has run with the state directory {}; pass the edge's "
          "--state-dir (or its --config)",
          file.string(), state_dir.string()));
    }
  } else {
    core::ensure_private_directory(state_dir, core::LooseDirectory::leave);
  }
  core::prepare_private_database(file);
  try {
    return std::make_unique<SqliteStore>(file, mode == OpenMode::create, max_bytes);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format(
        "the edge's state database {} is unusable ({}); it holds which authtoken owns which "
        "tunnel name and the queued deliveries of buffered tunnels. Restore it from a backup, or "
        "move it (and its -wal and -shm files) away to start with no owned names and an empty "
        "queue: the first token to claim a name then owns it",
        file.string(), e.what()));
  }
}

}  // namespace relay::store
