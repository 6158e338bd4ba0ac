#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace relay::edge {

// The streams one agent session may carry at once (its peer's SETTINGS_MAX_CONCURRENT_STREAMS,
// or less): a request that finds them all taken waits, in order, until one is released or its
// deadline passes. Beyond the peer's limit nghttp2 would queue the request with no deadline at
// all: a caller would hang for as long as slow uploads hold the session. On the io thread.
class StreamBudget {
 public:
  explicit StreamBudget(boost::asio::any_io_executor ex) : executor_(std::move(ex)) {}
  StreamBudget(const StreamBudget&) = delete;
  StreamBudget& operator=(const StreamBudget&) = delete;

  // A stream released by its Ticket's destructor.
  class Ticket {
   public:
    Ticket() = default;
    explicit Ticket(StreamBudget* owner) : owner_(owner) {}
    Ticket(Ticket&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Ticket& operator=(Ticket&& other) noexcept {
      if (this != &other) {
        reset();
        owner_ = other.owner_;
        other.owner_ = nullptr;
      }
      return *this;
    }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { reset(); }
    void reset() {
      if (owner_ != nullptr) owner_->release();
      owner_ = nullptr;
    }
    [[nodiscard]] bool valid() const { return owner_ != nullptr; }

   private:
    StreamBudget* owner_ = nullptr;
  };

  // A ticket once fewer than `limit()` streams are in use, or an invalid one at `deadline`.
  // `limit` is asked again after each wake-up: the peer may change its setting.
  boost::asio::awaitable<Ticket> acquire(std::function<std::size_t()> limit,
                                         std::chrono::steady_clock::time_point deadline);
  // A ticket at once when acquire() would not wait (fewer than `limit` streams in use, nobody
  // waiting), else an invalid one: the usual case without acquire()'s coroutine frames.
  Ticket try_acquire(std::size_t limit);

  [[nodiscard]] std::size_t in_use() const { return in_use_; }
  [[nodiscard]] std::size_t waiting() const { return waiters_.size(); }

 private:
  struct Waiter {
    boost::asio::steady_timer* timer;
    bool woken = false;
  };
  boost::asio::awaitable<bool> wait_turn(std::chrono::steady_clock::time_point deadline);
  void release();

  boost::asio::any_io_executor executor_;
  std::size_t in_use_ = 0;
  std::size_t woken_ = 0;  // released to a waiter that has not resumed yet
  std::list<Waiter*> waiters_;
};

}  // namespace relay::edge
