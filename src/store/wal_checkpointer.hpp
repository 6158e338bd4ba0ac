#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>

#include "store/failure_log.hpp"

namespace relay::store::detail {

// Copies the queue's WAL back into the database from a thread and connection of its own. Left
// to SQLite, the commit that crosses wal_autocheckpoint copies (and fsyncs) megabytes first:
// every few seconds under load one batch of appends waited 20-40 ms for it, the whole p99. A
// PASSIVE checkpoint here never blocks the writer; once it has copied everything, the writer
// starts the WAL over from its beginning (journal_size_limit then trims the file).
class WalCheckpointer {
 public:
  // Checkpoints whenever the WAL has grown `threshold_bytes` since the last one.
  WalCheckpointer(std::filesystem::path database, FailureLog& failures,
                  std::uint64_t threshold_bytes);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // A commit added `frames` frames to the WAL (from sqlite3_wal_hook, on the writer thread).
  void committed(int frames);

 private:
  void loop();

  std::filesystem::path database_;
  FailureLog& failures_;
  int threshold_frames_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace relay::store::detail
