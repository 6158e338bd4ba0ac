#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "relay/inspect/capture.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace relay::inspect {

// The SQLite mirror of the capture ring: one file, WAL mode, synchronous=NORMAL. Each capture
// keeps the store's sequence number (arrival order), so the ring's order survives a restart.
//
// Cheap by design (it used to cost more than the request it recorded): the io thread only hands
// over a shared_ptr under a mutex; a private writer thread wakes at most once per batch interval
// and writes everything pending in one transaction, as one row (or a few, kMaxRowBytes each) of
// encoded captures (capture_record.hpp): B-tree work per batch, not per request. Several writes of
// one capture within a batch become one, a capture dropped before its batch is never written.
// Dropping is a watermark (keep_from): rows whose captures are all below it are deleted, and
// loading skips captures below it; a capture written again lives in a later row, which wins.
class CaptureDb {
 public:
  struct Stored {
    std::uint64_t seq = 0;
    Capture capture;
  };
  struct Loaded {
    std::vector<Stored> captures;  // oldest first
    std::uint64_t next_seq = 1;    // above every sequence number in the file
  };

  // A crash loses at most this much finished history; a clean stop flushes.
  static constexpr std::chrono::milliseconds kBatchInterval{200};
  // Bounds the writer's transient buffer (a burst of big bodies becomes several rows).
  static constexpr std::size_t kMaxRowBytes = 256 * 1024;

  // Creates the parent directory and the schema. Throws std::runtime_error naming the file and
  // what to do when it cannot be opened.
  explicit CaptureDb(const std::filesystem::path& path,
                     std::chrono::milliseconds batch_interval = kBatchInterval);
  ~CaptureDb();  // writes what is pending, then closes
  CaptureDb(const CaptureDb&) = delete;
  CaptureDb& operator=(const CaptureDb&) = delete;

  // Start-up only (before any write): the newest `max_count` captures. Older rows are deleted;
  // unreadable entries are skipped.
  Loaded load(std::size_t max_count);

  // Writes `capture` (sequence number `seq`) in the next batch; a later put of the same seq
  // before then replaces this one. The capture must not change once handed over.
  void put(std::uint64_t seq, std::shared_ptr<const Capture> capture);
  // This process's number among the writers of the file (0-255): CaptureStore puts it in the
  // sequence numbers it makes, so agents sharing a state directory never make the same one.
  [[nodiscard]] std::uint32_t writer_tag() const { return writer_tag_; }

  // Forgets every capture (written or pending) below `seq`: the ring dropped them.
  void keep_from(std::uint64_t seq);
  void clear();
  // Blocks until everything handed over so far is written (tests, shutdown).
  void flush();

 private:
  struct Batch {
    std::map<std::uint64_t, std::shared_ptr<const Capture>> puts;
    std::uint64_t keep_from = 0;
    bool clear = false;
  };
  void run();
  // false: the file was locked by another writer past the busy timeout; the batch is retried.
  bool write(const Batch& batch);
  void requeue(Batch&& failed);        // with mutex_ held
  void trim(std::uint64_t keep_from);  // writer thread, or start-up
  void wake_writer();                  // with mutex_ held

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* trim_ = nullptr;
  sqlite3_stmt* save_keep_from_ = nullptr;
  std::uint32_t writer_tag_ = 0;
  std::string row_;  // writer thread: the row being filled, its capacity kept
  std::filesystem::path path_;
  std::chrono::milliseconds interval_;
  bool warned_ = false;  // writer thread only: the same disk problem repeats, say it once

  std::mutex mutex_;  // guards everything below, shared with the writer thread
  std::condition_variable wake_;
  std::condition_variable done_;
  Batch pending_;
  std::uint64_t kept_from_ = 0;  // the highest keep_from asked: lower ones are no-ops
  bool dirty_ = false;
  std::uint64_t flush_asked_ = 0;
  std::uint64_t flush_done_ = 0;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace relay::inspect
