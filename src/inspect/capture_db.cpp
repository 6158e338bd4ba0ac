#include "inspect/capture_db.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <sqlite3.h>

#include "inspect/capture_json.hpp"
#include "relay/core/log.hpp"

namespace relay::inspect {
namespace {

constexpr const char* kSchema = R"sql(
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = NORMAL;
  CREATE TABLE IF NOT EXISTS captures (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    id   TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
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

// A prepared statement that finalizes itself.
struct Statement {
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  void bind(int i, const std::string& text) {
    sqlite3_bind_text(stmt, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void run(sqlite3* db) {
    if (sqlite3_step(stmt) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db));
  }
  sqlite3_stmt* stmt = nullptr;
};

}  // namespace

CaptureDb::CaptureDb(const std::filesystem::path& path) : path_(path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
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
    exec(db_, kSchema);
  } catch (const std::exception& e) {
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
  sqlite3_close(db_);
}

std::vector<Capture> CaptureDb::load(std::size_t max_count) {
  std::vector<Capture> out;
  {
    Statement trim(db_,
                   "DELETE FROM captures WHERE seq <= "
                   "(SELECT seq FROM captures ORDER BY seq DESC LIMIT 1 OFFSET ?)");
    sqlite3_bind_int64(trim.stmt, 1, static_cast<sqlite3_int64>(max_count));
    trim.run(db_);
  }
  Statement select(db_, "SELECT data FROM captures ORDER BY seq DESC");
  while (sqlite3_step(select.stmt) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(select.stmt, 0));
    const auto doc = nlohmann::json::parse(text ? text : "", nullptr, /*allow_exceptions=*/false);
    if (auto capture = detail::from_storage_json(doc)) out.push_back(std::move(*capture));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

void CaptureDb::upsert(std::shared_ptr<const Capture> capture) {
  enqueue([capture = std::move(capture)](sqlite3* db) {
    // Serialised here, on the writer thread: the capture is immutable once shared.
    const auto data = detail::to_storage_json(*capture).dump();
    Statement st(db,
                 "INSERT INTO captures (id, data) VALUES (?, ?) "
                 "ON CONFLICT(id) DO UPDATE SET data = excluded.data");
    st.bind(1, capture->id);
    st.bind(2, data);
    st.run(db);
  });
}

void CaptureDb::erase(std::string id) {
  enqueue([id = std::move(id)](sqlite3* db) {
    Statement st(db, "DELETE FROM captures WHERE id = ?");
    st.bind(1, id);
    st.run(db);
  });
}

void CaptureDb::clear() {
  enqueue([](sqlite3* db) { exec(db, "DELETE FROM captures"); });
}

void CaptureDb::flush() {
  std::unique_lock lock(mutex_);
  const auto target = queued_;
  done_.wait(lock, [&] { return written_ >= target; });
}

void CaptureDb::enqueue(Job job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
    ++queued_;
  }
  wake_.notify_one();
}

void CaptureDb::run() {
  auto log = core::logger("relay.inspect");
  bool warned = false;
  for (;;) {
    std::deque<Job> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      batch.swap(queue_);
    }
    try {
      exec(db_, "BEGIN");
      for (auto& job : batch) job(db_);
      exec(db_, "COMMIT");
    } catch (const std::exception& e) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      // History on disk is a convenience: the in-memory list keeps working, so warn once.
      if (!warned) {
        core::log_event(*log, spdlog::level::warn, "cannot write captures to disk",
                        {{"file", path_.string()}, {"err", e.what()}});
        warned = true;
      }
    }
    {
      std::lock_guard lock(mutex_);
      written_ += batch.size();
    }
    done_.notify_all();
  }
}

}  // namespace relay::inspect
