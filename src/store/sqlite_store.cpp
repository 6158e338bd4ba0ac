#include <chrono>
#include <stdexcept>

#include <fmt/format.h>
#include <sqlite3.h>

#include "relay/core/log.hpp"
#include "relay/core/private_files.hpp"
#include "relay/store/error.hpp"
#include "relay/store/state_dir.hpp"
#include "relay/store/store.hpp"
#include "store/memory_delivery_queue.hpp"
#include "store/sqlite_connection.hpp"

namespace relay::store {
namespace {

using detail::ResetOnExit;
using detail::SqliteConnection;
using detail::Statement;

// The schema this relay writes. A newer file (a downgrade) is refused rather than misread.
constexpr int kSchemaVersion = 1;

// WAL: the running edge and `relay edge names` share the file. synchronous=FULL: a claim is
// rare (a name never claimed before), and one acknowledged to an agent must survive a power
// cut. The durable queue of issue 11 will write on every request: it will need its own
// group-commit thread (many requests, one fsync) instead of these synchronous calls on the io
// thread.
constexpr const char* kPragmas = R"sql(
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = FULL;
  PRAGMA foreign_keys = ON;
)sql";

constexpr const char* kSchemaV1 = R"sql(
  CREATE TABLE tunnel_names (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,     -- SHA-256 (hex) of the authtoken, never the token
    claimed_at INTEGER NOT NULL   -- Unix seconds
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
    // Future versions migrate here, one step at a time, inside this transaction.
    db.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

// A page-level check of the one table, cheap while it holds names only (the queue of issue 11
// must not be scanned at every start).
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

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::filesystem::path& file, bool create)
      : db_(file, create), names_(prepare(db_)) {}
  NameStore& names() override { return names_; }
  // For now in memory (not yet durable): the SQLite queue follows.
  PolicyStore& policies() override { return *policies_; }
  DeliveryQueue& deliveries() override { return *deliveries_; }

 private:
  static SqliteConnection& prepare(SqliteConnection& db) {
    db.exec(kPragmas);
    migrate(db);
    check_integrity(db);
    return db;
  }

  SqliteConnection db_;
  SqliteNameStore names_;
  std::unique_ptr<PolicyStore> policies_ = detail::make_memory_policy_store();
  std::unique_ptr<DeliveryQueue> deliveries_ = detail::make_memory_delivery_queue();
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& state_dir, OpenMode mode) {
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
    return std::make_unique<SqliteStore>(file, mode == OpenMode::create);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format(
        "the edge's state database {} is unusable ({}); it holds which authtoken owns which "
        "tunnel name. Restore it from a backup, or move it (and its -wal and -shm files) away to "
        "start with no owned names: the first token to claim a name then owns it",
        file.string(), e.what()));
  }
}

}  // namespace relay::store
