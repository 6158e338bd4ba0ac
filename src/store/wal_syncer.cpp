#include "store/wal_syncer.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

namespace relay::store::detail {

WalSyncer::WalSyncer(const std::filesystem::path& database, FailureLog& failures)
    : wal_(database.string() + "-wal"), failures_(failures), thread_([this] { loop(); }) {}

WalSyncer::~WalSyncer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

void WalSyncer::after_sync(Done done) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    was_empty = pending_.empty();
    pending_.push_back(std::move(done));
  }
  if (was_empty) wake_.notify_one();
}

void WalSyncer::loop() {
  std::vector<Done> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, and everything is synced
      batch.swap(pending_);
    }
    const bool synced = sync();
    for (auto& done : batch) done(synced);
    batch.clear();
  }
}

// The WAL as it is now: SQLite keeps one file while a connection is open (a checkpoint rewinds
// it, journal_size_limit truncates it), but reopen it should it ever be a new file.
int WalSyncer::open_wal() {
  struct stat now {};
  struct stat held {};
  if (fd_ >= 0 && ::stat(wal_.c_str(), &now) == 0 && ::fstat(fd_, &held) == 0 &&
      now.st_ino == held.st_ino && now.st_dev == held.st_dev) {
    return fd_;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(wal_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return -1;
  // A new file's name must be on disk too, once.
  if (const int dir = ::open(wal_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return fd_;
}

bool WalSyncer::sync() {
  const int fd = open_wal();
  if (fd < 0 || ::fdatasync(fd) != 0) {
    const int error = errno;
    failures_.report(SQLITE_IOERR_FSYNC, "fsync of the write-ahead log",
                     wal_.string() + ": " + std::strerror(error));
    return false;
  }
  return true;
}

}  // namespace relay::store::detail
