#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay/inspect/capture.hpp"

namespace relay::inspect {

class CaptureDb;

struct CaptureStoreOptions {
  // The SQLite file (WAL mode); empty: memory only. The agent passes <state_dir>/captures.db.
  std::filesystem::path db_path;
  std::size_t max_count = 500;               // captures kept; the oldest is dropped first
  std::size_t max_bytes = 64 * 1024 * 1024;  // sum of Capture::cost(); the oldest is dropped
  std::size_t max_body_bytes = 64 * 1024;    // a body longer than this is truncated on add
};

// What subscribers hear: a capture was added or updated (same id), or the store was cleared.
struct CaptureEvent {
  enum class Kind { upserted, cleared };
  Kind kind = Kind::upserted;
  std::shared_ptr<const Capture> capture;  // null for cleared
};

// The captures the inspector shows: a bounded ring in memory, mirrored to SQLite so history
// survives a restart. Not thread-safe by design: it lives on the agent's io thread, like
// everything that calls it. SQLite writes run on a private writer thread in order, so the io
// thread never waits for the disk; only open (start-up) reads the file synchronously.
class CaptureStore {
 public:
  using Listener = std::function<void(const CaptureEvent&)>;

  // Unsubscribes when destroyed (RAII); must not outlive the store.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(CaptureStore* store, std::uint64_t id) : store_(store), id_(id) {}
    Subscription(Subscription&& other) noexcept { *this = std::move(other); }
    Subscription& operator=(Subscription&& other) noexcept;
    ~Subscription() { reset(); }
    void reset();

   private:
    CaptureStore* store_ = nullptr;
    std::uint64_t id_ = 0;
  };

  // Throws std::runtime_error (saying which file and what to do) when the database cannot be
  // opened or created: a start-up error.
  explicit CaptureStore(CaptureStoreOptions options = {});
  ~CaptureStore();
  CaptureStore(const CaptureStore&) = delete;
  CaptureStore& operator=(const CaptureStore&) = delete;

  // A fresh, unique, time-ordered id ("ins_…").
  [[nodiscard]] std::string make_id();

  // Adds the capture, or replaces the one with the same id (the pipeline calls this when the
  // request arrives and again when the response is known). Drops the oldest captures beyond the
  // caps, truncates bodies beyond max_body_bytes, and notifies subscribers.
  std::shared_ptr<const Capture> upsert(Capture capture);

  [[nodiscard]] std::shared_ptr<const Capture> find(std::string_view id) const;
  // Newest first; `tunnel` empty: every tunnel; `limit` 0: no limit.
  [[nodiscard]] std::vector<std::shared_ptr<const Capture>> list(
      std::size_t limit = 0, std::string_view tunnel = {}) const;
  void clear();

  [[nodiscard]] std::size_t size() const { return ring_.size(); }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }
  [[nodiscard]] const CaptureStoreOptions& options() const { return options_; }

  // Blocks until every database write queued so far is on disk (tests, shutdown).
  void flush();

  [[nodiscard]] Subscription subscribe(Listener listener);

 private:
  void drop_oldest();
  void notify(const CaptureEvent& event);

  CaptureStoreOptions options_;
  std::deque<std::shared_ptr<const Capture>> ring_;  // oldest first
  std::size_t bytes_ = 0;
  std::unique_ptr<CaptureDb> db_;
  std::map<std::uint64_t, Listener> listeners_;
  std::uint64_t next_listener_ = 1;
  std::uint64_t id_counter_ = 0;
  std::uint64_t id_salt_ = 0;
};

}  // namespace relay::inspect
