#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

namespace relay::edge {

// The connections of a listener, so that stop() can reach them: `drain` asks a connection to
// finish what it is doing and close, `close` ends it now. Entries are removed by their Handle
// (RAII). Touched only on the io thread.
class TaskTracker {
 public:
  struct Entry {
    std::function<void()> drain;
    std::function<void()> close;
  };

  class Handle {
   public:
    Handle() = default;
    Handle(TaskTracker* tracker, std::uint64_t id) : tracker_(tracker), id_(id) {}
    Handle(Handle&& other) noexcept : tracker_(other.tracker_), id_(other.id_) {
      other.tracker_ = nullptr;
    }
    Handle& operator=(Handle&& other) noexcept {
      if (this != &other) {
        reset();
        tracker_ = other.tracker_;
        id_ = other.id_;
        other.tracker_ = nullptr;
      }
      return *this;
    }
    ~Handle() { reset(); }
    void reset() {
      if (tracker_ != nullptr) tracker_->entries_.erase(id_);
      tracker_ = nullptr;
    }

   private:
    TaskTracker* tracker_ = nullptr;
    std::uint64_t id_ = 0;
  };

  [[nodiscard]] Handle add(Entry entry) {
    entries_.emplace(++next_id_, std::move(entry));
    return {this, next_id_};
  }
  void drain_all() {
    for_each([](Entry& e) {
      if (e.drain) e.drain();
    });
  }
  void close_all() {
    for_each([](Entry& e) {
      if (e.close) e.close();
    });
  }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  // Actions may remove entries (a connection that closes at once): iterate over a snapshot.
  template <class F>
  void for_each(F f) {
    std::vector<std::uint64_t> ids;
    ids.reserve(entries_.size());
    for (auto& [id, e] : entries_) ids.push_back(id);
    for (auto id : ids) {
      if (auto it = entries_.find(id); it != entries_.end()) {
        Entry copy = it->second;  // the action may remove its own entry
        f(copy);
      }
    }
  }

  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_id_ = 0;
};

}  // namespace relay::edge
