#include "store/wal_checkpointer.hpp"

#include <sqlite3.h>

#include "store/sqlite_connection.hpp"

namespace relay::store::detail {
namespace {
constexpr int kPageBytes = 4096;  // SQLite's default page size, which the store keeps
}

WalCheckpointer::WalCheckpointer(std::filesystem::path database, FailureLog& failures,
                                 std::uint64_t threshold_bytes)
    : database_(std::move(database)),
      failures_(failures),
      threshold_frames_(static_cast<int>(threshold_bytes / kPageBytes)),
      thread_([this] { loop(); }) {}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void WalCheckpointer::committed(int frames) {
  // The hook reports the WAL's size in frames, which falls back once the log starts over.
  if (frames < threshold_frames_) return;
  {
    std::lock_guard lock(mutex_);
    if (due_) return;
    due_ = true;
  }
  wake_.notify_one();
}

void WalCheckpointer::loop() {
  std::unique_ptr<SqliteConnection> db;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || due_; });
      if (stopping_) return;
    }
    try {
      if (!db) {
        auto opened = std::make_unique<SqliteConnection>(database_, false);
        // Reads the header: until then the connection does not know the file is in WAL mode,
        // and a checkpoint does nothing.
        opened->exec("PRAGMA journal_mode = WAL");
        db = std::move(opened);
      }
    } catch (const std::exception& e) {
      failures_.report(SQLITE_CANTOPEN, "checkpoint", e.what());
    }
    if (db) {
      // PASSIVE: copies what no reader still needs, waits for nobody; syncs the WAL before
      // and the database after (synchronous=FULL, a new connection's default).
      const int rc = sqlite3_wal_checkpoint_v2(db->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                               nullptr, nullptr);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        failures_.report(rc, "checkpoint", sqlite3_errmsg(db->handle()));
      }
    }
    std::lock_guard lock(mutex_);
    due_ = false;
  }
}

}  // namespace relay::store::detail
