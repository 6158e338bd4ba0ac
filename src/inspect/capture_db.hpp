#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "relay/inspect/capture.hpp"

struct sqlite3;

namespace relay::inspect {

// The SQLite mirror of the capture ring: one file, WAL mode. Writes are queued and run in order
// on a private thread (batched into one transaction per wake-up) so the io thread never waits
// for the disk; the connection is touched by that thread only, after open() and load().
class CaptureDb {
 public:
  // Creates the parent directory and the schema. Throws std::runtime_error naming the file and
  // what to do when it cannot be opened.
  explicit CaptureDb(const std::filesystem::path& path);
  ~CaptureDb();  // writes what is queued, then closes
  CaptureDb(const CaptureDb&) = delete;
  CaptureDb& operator=(const CaptureDb&) = delete;

  // Start-up only (before any write is queued): the newest `max_count` captures, oldest first.
  // Older rows are deleted; unreadable rows are skipped.
  std::vector<Capture> load(std::size_t max_count);

  void upsert(std::shared_ptr<const Capture> capture);
  void erase(std::string id);
  void clear();
  // Blocks until everything queued so far is written.
  void flush();

 private:
  using Job = std::function<void(sqlite3*)>;
  void enqueue(Job job);
  void run();

  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  std::mutex mutex_;  // guards the queue and the counters below, shared with the writer thread
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<Job> queue_;
  std::size_t queued_ = 0;
  std::size_t written_ = 0;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace relay::inspect
