#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "store/failure_log.hpp"

namespace relay::store::detail {

// Makes the queue's commits durable off the writer thread. The writer commits with
// synchronous=NORMAL (the WAL frames reach the page cache, no fsync) and hands each batch that
// promised durability here; this thread fdatasyncs the WAL once for every batch handed over
// since its last sync, then runs their callbacks. So the writer executes the next batch while
// the previous one is being synced (a commit took 1.1 ms at its median, most of it the fsync),
// and one fsync still covers many commits. Checkpoints stay SQLite's: with NORMAL it syncs the
// WAL before copying it into the database, and the database before the WAL is reused.
class WalSyncer {
 public:
  // `synced` is false when the fsync failed (the disk's fault: reported to `failures`).
  using Done = std::function<void(bool synced)>;

  WalSyncer(const std::filesystem::path& database, FailureLog& failures);
  // Syncs what was handed over and runs its callbacks, then stops the thread.
  ~WalSyncer();
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  // After a commit returned: `done` runs on this class's thread once the commit is on disk.
  void after_sync(Done done);

 private:
  void loop();
  bool sync();
  int open_wal();

  std::filesystem::path wal_;
  FailureLog& failures_;
  int fd_ = -1;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Done> pending_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace relay::store::detail
