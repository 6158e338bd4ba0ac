#include "inspect/capture_db.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include <fmt/format.h>
#include <sqlite3.h>

#include "inspect/capture_json.hpp"
#include "inspect/capture_record.hpp"
#include "relay/core/log.hpp"
#include "relay/core/private_files.hpp"

namespace relay::inspect {
namespace {

// `captures` is a table of batches: `data` holds encoded captures back to back
// (capture_record.hpp), `last_seq` the highest sequence number among them, so trimming is one
// indexed DELETE. `state` keeps the drop watermark (keep_from). 16 KiB pages: a webhook batch
// fills few pages; WAL checkpoints every 4 MiB, and the WAL file is cut back to 4 MiB after.
// secure_delete FAST: Debian builds SQLite with it ON, which zeroes and rewrites every page a trim
// frees. A 1 MiB page cache: writes append, so only the tree's right edge needs to stay cached;
// the default held ~7 MiB on the writer thread's malloc arena when measured.
constexpr const char* kSchema = R"sql(
  PRAGMA page_size = 16384;
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = NORMAL;
  PRAGMA wal_autocheckpoint = 256;
  PRAGMA journal_size_limit = 4194304;
  PRAGMA secure_delete = FAST;
  PRAGMA cache_size = -1024;
  CREATE TABLE IF NOT EXISTS capture_batches (
    batch    INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    data     BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS capture_batches_last_seq ON capture_batches (last_seq);
  CREATE TABLE IF NOT EXISTS capture_state (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  );
)sql";

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error(msg);
  }
}

sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sqlite3_errmsg(db));
  }
  return stmt;
}

// Runs a reused statement to completion and resets it (bindings are rebound before each run).
void step(sqlite3* db, sqlite3_stmt* stmt) {
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db));
}

// A one-off statement (start-up reads) that finalizes itself.
struct Statement {
  Statement(sqlite3* db, const char* sql) : stmt(prepare(db, sql)) {}
  ~Statement() { sqlite3_finalize(stmt); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* stmt;
};

bool has_table(sqlite3* db, const char* name) {
  Statement find(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  sqlite3_bind_text(find.stmt, 1, name, -1, SQLITE_STATIC);
  return sqlite3_step(find.stmt) == SQLITE_ROW;
}

sqlite3_int64 to_sql(std::uint64_t v) { return static_cast<sqlite3_int64>(v); }

std::uint64_t column_u64(sqlite3_stmt* stmt, int column) {
  return static_cast<std::uint64_t>(sqlite3_column_int64(stmt, column));
}

std::string_view column_bytes(sqlite3_stmt* stmt, int column) {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, column));
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, column));
  return bytes ? std::string_view{bytes, size} : std::string_view{};
}

// The first format (table `captures`: one JSON document per capture, a UNIQUE id column) moves
// into one batch row, and the file is rebuilt with the new page size. Once, at start-up.
void migrate_first_format(sqlite3* db) {
  std::string batch;
  std::uint64_t last_seq = 0;
  {
    Statement select(db, "SELECT seq, data FROM captures ORDER BY seq");
    while (sqlite3_step(select.stmt) == SQLITE_ROW) {
      const auto doc = nlohmann::json::parse(column_bytes(select.stmt, 1), nullptr, false);
      // That format also stored requests in flight: one left there by a stop is not history.
      if (auto capture = detail::from_storage_json(doc); capture && capture->complete()) {
        last_seq = column_u64(select.stmt, 0);
        detail::append_batch_entry(last_seq, *capture, batch);
      }
    }
  }
  exec(db, kSchema);
  exec(db, "BEGIN");
  if (!batch.empty()) {
    Statement insert(db, "INSERT INTO capture_batches (batch, last_seq, data) VALUES (1, ?, ?)");
    sqlite3_bind_int64(insert.stmt, 1, to_sql(last_seq));
    sqlite3_bind_blob(insert.stmt, 2, batch.data(), static_cast<int>(batch.size()), SQLITE_STATIC);
    step(db, insert.stmt);
  }
  exec(db, "DROP TABLE captures; COMMIT");
  exec(db, "PRAGMA journal_mode = DELETE; PRAGMA page_size = 16384; VACUUM");
}

// Each process that opens the file gets the next writer number; its low byte goes into the
// sequence numbers that process makes (CaptureStore), so two agents never make the same one.
std::uint32_t register_writer(sqlite3* db) {
  exec(db, "BEGIN IMMEDIATE");
  try {
    exec(db,
         "INSERT INTO capture_state (name, value) VALUES ('writers', 1) "
         "ON CONFLICT (name) DO UPDATE SET value = value + 1");
    std::uint64_t writers = 0;
    {
      Statement select(db, "SELECT value FROM capture_state WHERE name = 'writers'");
      if (sqlite3_step(select.stmt) == SQLITE_ROW) writers = column_u64(select.stmt, 0);
    }
    exec(db, "COMMIT");
    return static_cast<std::uint32_t>(writers & 0xff);
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace

CaptureDb::CaptureDb(const std::filesystem::path& path, std::chrono::milliseconds batch_interval)
    : path_(path), interval_(batch_interval) {
  // Captures hold callers' Authorization and Cookie headers: the directory is 0700 and the file
  // 0600 before SQLite opens it, so its -wal and -shm (made with the file's mode) are 0600 too.
  try {
    if (path.has_parent_path()) {
      core::ensure_private_directory(path.parent_path(), core::LooseDirectory::leave);
    }
    core::prepare_private_database(path);
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("cannot open the capture database {}: {}", path.string(), e.what()));
  }
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error(fmt::format(
        "cannot open the capture database {}: {}; check that the state directory is writable, "
        "or set another one (state_dir)",
        path.string(), why));
  }
  sqlite3_busy_timeout(db_, 2000);
  try {
    if (has_table(db_, "captures")) migrate_first_format(db_);
    exec(db_, kSchema);
    writer_tag_ = register_writer(db_);
    // Several agents may share one state directory, each with its own connection: SQLite picks
    // the batch number inside the write transaction, so two writers never collide (a fixed
    // counter per process did, and lost every batch of the second agent).
    insert_ =
        prepare(db_, "INSERT INTO capture_batches (batch, last_seq, data) VALUES (NULL, ?, ?)");
    trim_ = prepare(db_, "DELETE FROM capture_batches WHERE last_seq < ?");
    save_keep_from_ =
        prepare(db_,
                "INSERT INTO capture_state (name, value) VALUES ('keep_from', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)");
  } catch (const std::exception& e) {
    sqlite3_finalize(insert_);
    sqlite3_finalize(trim_);
    sqlite3_finalize(save_keep_from_);
    sqlite3_close(db_);
    throw std::runtime_error(fmt::format(
        "the capture database {} is unusable ({}); move it away and relay will create a new one",
        path.string(), e.what()));
  }
  writer_ = std::thread([this] { run(); });
}

CaptureDb::~CaptureDb() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
  sqlite3_finalize(insert_);
  sqlite3_finalize(trim_);
  sqlite3_finalize(save_keep_from_);
  sqlite3_close(db_);
}

CaptureDb::Loaded CaptureDb::load(std::size_t max_count) {
  std::uint64_t keep_from = 0;
  {
    Statement select(db_, "SELECT value FROM capture_state WHERE name = 'keep_from'");
    if (sqlite3_step(select.stmt) == SQLITE_ROW) keep_from = column_u64(select.stmt, 0);
  }
  // By sequence number; a capture written again sits in a later batch, which replaces it.
  std::map<std::uint64_t, Capture> by_seq;
  std::unordered_map<std::string, std::uint64_t> seq_of;
  Loaded out;
  {
    Statement select(db_, "SELECT batch, data FROM capture_batches ORDER BY batch");
    while (sqlite3_step(select.stmt) == SQLITE_ROW) {
      for (auto& [seq, capture] : detail::decode_batch(column_bytes(select.stmt, 1))) {
        out.next_seq = std::max(out.next_seq, seq + 1);
        if (seq < keep_from) continue;
        auto [it, fresh] = seq_of.try_emplace(capture.id, seq);
        if (!fresh && it->second != seq) {
          by_seq.erase(it->second);
          it->second = seq;
        }
        by_seq.insert_or_assign(seq, std::move(capture));
      }
    }
  }
  out.next_seq = std::max(out.next_seq, keep_from);
  while (by_seq.size() > max_count) by_seq.erase(by_seq.begin());
  if (!by_seq.empty() && by_seq.begin()->first > keep_from) {
    try {
      exec(db_, "BEGIN IMMEDIATE");
      trim(by_seq.begin()->first);
      exec(db_, "COMMIT");
    } catch (const std::exception&) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);  // trimmed next time
    }
  }
  out.captures.reserve(by_seq.size());
  for (auto& [seq, capture] : by_seq) out.captures.push_back({seq, std::move(capture)});
  return out;
}

void CaptureDb::trim(std::uint64_t keep_from) {
  sqlite3_bind_int64(trim_, 1, to_sql(keep_from));
  step(db_, trim_);
  sqlite3_bind_int64(save_keep_from_, 1, to_sql(keep_from));
  step(db_, save_keep_from_);
}

void CaptureDb::wake_writer() {
  // Only the first change of a batch wakes the writer; it then waits out the interval.
  if (!dirty_) {
    dirty_ = true;
    wake_.notify_one();
  }
}

void CaptureDb::put(std::uint64_t seq, std::shared_ptr<const Capture> capture) {
  std::lock_guard lock(mutex_);
  if (seq < kept_from_) return;
  pending_.puts.insert_or_assign(seq, std::move(capture));
  wake_writer();
}

void CaptureDb::keep_from(std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  if (seq <= kept_from_) return;
  kept_from_ = seq;
  pending_.keep_from = seq;
  auto& puts = pending_.puts;
  puts.erase(puts.begin(), puts.lower_bound(seq));
  wake_writer();
}

void CaptureDb::clear() {
  std::lock_guard lock(mutex_);
  pending_ = Batch{};
  pending_.clear = true;
  wake_writer();
}

void CaptureDb::flush() {
  std::unique_lock lock(mutex_);
  const auto ticket = ++flush_asked_;
  wake_.notify_one();
  done_.wait(lock, [&] { return flush_done_ >= ticket; });
}

void CaptureDb::requeue(Batch&& failed) {
  dirty_ = true;
  if (pending_.clear) return;  // cleared since: nothing of the failed batch survives that
  // What was handed over since wins over the failed batch: it is newer.
  if (failed.clear) pending_.clear = true;
  pending_.keep_from = std::max(pending_.keep_from, failed.keep_from);
  for (auto& [seq, capture] : failed.puts) {
    if (seq >= kept_from_) pending_.puts.try_emplace(seq, std::move(capture));
  }
}

void CaptureDb::run() {
  constexpr int kBusyRetriesAtStop = 5;
  int busy_at_stop = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto hurry = [&] { return stopping_ || flush_asked_ > flush_done_; };
    wake_.wait(lock, [&] { return dirty_ || hurry(); });
    // Let the batch fill: a burst of requests becomes one transaction.
    if (!hurry()) wake_.wait_for(lock, interval_, hurry);
    Batch batch = std::exchange(pending_, Batch{});
    dirty_ = false;
    const auto ticket = flush_asked_;
    const bool last = stopping_;
    lock.unlock();
    const bool written = write(batch);
    // At stop, a file that stays locked is given a few more batch intervals, not forever.
    if (!written && (!last || ++busy_at_stop <= kBusyRetriesAtStop)) {
      lock.lock();
      requeue(std::move(batch));
      lock.unlock();
    } else if (!written) {
      core::log_event(*core::logger("relay.inspect"), spdlog::level::warn,
                      "captures not written at exit: another process kept the database locked",
                      {{"file", path_.string()}, {"captures", batch.puts.size()}});
    }
    batch = {};  // the captures' last references may be here: free them outside the lock
    lock.lock();
    flush_done_ = ticket;
    done_.notify_all();
    if (last && !dirty_) return;
  }
}

bool CaptureDb::write(const Batch& batch) {
  if (!batch.clear && batch.keep_from == 0 && batch.puts.empty()) return true;
  try {
    // IMMEDIATE: take the write lock first (waiting up to the busy timeout for another agent's
    // batch), instead of failing on a lock upgrade halfway.
    exec(db_, "BEGIN IMMEDIATE");
    // Clear means gone: overwrite what it frees (trimming old batches need not).
    if (batch.clear)
      exec(db_,
           "PRAGMA secure_delete = ON; DELETE FROM capture_batches; "
           "PRAGMA secure_delete = FAST");
    if (batch.keep_from != 0) trim(batch.keep_from);
    auto& row = row_;
    row.clear();
    std::uint64_t last_seq = 0;
    const auto insert_row = [&] {
      sqlite3_bind_int64(insert_, 1, to_sql(last_seq));
      sqlite3_bind_blob(insert_, 2, row.data(), static_cast<int>(row.size()), SQLITE_STATIC);
      step(db_, insert_);
      row.clear();
    };
    for (const auto& [seq, capture] : batch.puts) {
      detail::append_batch_entry(seq, *capture, row);
      last_seq = seq;
      if (row.size() >= kMaxRowBytes) insert_row();
    }
    if (!row.empty()) insert_row();
    exec(db_, "COMMIT");
    return true;
  } catch (const std::exception& e) {
    const int code = sqlite3_errcode(db_) & 0xff;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    // Another agent on the same file held the lock past the busy timeout: try again with the
    // next batch rather than lose this one.
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return false;
    // History on disk is a convenience: the in-memory list keeps working, so warn once.
    if (!warned_) {
      core::log_event(*core::logger("relay.inspect"), spdlog::level::warn,
                      "cannot write captures to disk",
                      {{"file", path_.string()}, {"err", e.what()}});
      warned_ = true;
    }
    return true;
  }
}

}  // namespace relay::inspect
