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
#include <unordered_map>
#include <vector>

#include "relay/inspect/capture.hpp"

namespace relay::inspect {

class CaptureDb;

struct CaptureStoreOptions {
  // The SQLite file (WAL mode); empty: memory only. The agent passes <state_dir>/captures.db.
  std::filesystem::path db_path;
  // What a laptop needs (docs/inspector.md, History): the last few hundred deliveries, as ngrok
  // keeps, and memory the user does not notice. Webhooks are small: 500 of them stay in ~2 MiB,
  // so max_bytes only binds for big bodies, and bounds the agent's RSS to ~16 MiB above idle.
  std::size_t max_count = 500;               // captures kept; the oldest is dropped first
  std::size_t max_bytes = 16 * 1024 * 1024;  // sum of Capture::cost(); the oldest is dropped
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
// everything that calls it. Only finished captures go to disk (one that was in flight when the
// agent died is not history worth keeping), batched on a private writer thread (CaptureDb), so
// the io thread never waits for the disk; only open (start-up) reads the file synchronously.
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
  // request arrives and again when the response is known), keeping its place in the list. Drops
  // the oldest captures beyond the caps, truncates bodies beyond max_body_bytes, and notifies
  // subscribers (nothing is rendered here: subscribers render when they send).
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
  struct Entry {
    std::shared_ptr<const Capture> capture;
    std::uint64_t seq;  // arrival order, also the database row: increasing along the ring
    std::size_t cost;   // what it added to bytes_
  };
  // unordered_map lookups by string_view without building a std::string.
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
  };

  static constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);
  // The ring position of the capture `id`, or kNotFound: a hash lookup and a binary search.
  [[nodiscard]] std::size_t locate(std::string_view id) const;
  void drop_oldest();
  std::uint64_t next_seq();
  void notify(const CaptureEvent& event);

  CaptureStoreOptions options_;
  std::deque<Entry> ring_;                                                         // oldest first
  std::unordered_map<std::string, std::uint64_t, IdHash, std::equal_to<>> index_;  // id → seq
  std::size_t bytes_ = 0;
  static constexpr unsigned kSeqTagBits = 8;
  std::uint64_t last_seq_ = 0;  // the newest sequence number made or loaded
  std::uint32_t seq_tag_ = 0;   // CaptureDb::writer_tag(): distinct per process on one file
  std::unique_ptr<CaptureDb> db_;
  std::map<std::uint64_t, Listener> listeners_;
  std::uint64_t next_listener_ = 1;
  std::uint64_t id_counter_ = 0;
  std::uint64_t id_salt_ = 0;
};

}  // namespace relay::inspect
