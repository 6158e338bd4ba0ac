#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

namespace relay::net {

// Runs an action when a deadline passes unless disarmed first: how the edge and the agent bound
// an operation, or a sequence of them, that has no timeout of its own (a TLS handshake on a raw
// socket, an agent's response head, the upgrade request) without cancelling a coroutine mid-way.
// The action typically closes a socket or resets a stream, which makes the pending operation
// fail on its own; expired() then tells a timeout from other failures.
//
// Lazy: at most one timer wait is in flight. Re-arming for a later expiry (the common case: a
// deadline per read or per request, renewed as work progresses) only stores the new expiry, and
// the wait re-checks it when it fires; only an earlier expiry moves the timer. So a re-arm costs
// no timer operation and no handler allocation. The price: after disarm() the wait stays in
// flight (doing nothing) until its expiry or this object's destruction, which cancels it.
//
// Safe to destroy while armed, even with the timer's handler already queued. Not thread-safe:
// use it on the executor (strand) it was made with.
class Deadline {
 public:
  using clock = std::chrono::steady_clock;

  explicit Deadline(const boost::asio::any_io_executor& ex) : timer_(ex) {}
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  ~Deadline();

  // Runs `action` once `after` has passed, unless disarm() or another arm() comes first
  // (the latest arm() wins, its expiry and its action).
  void arm(clock::duration after, std::function<void()> action) {
    arm_at(clock::now() + after, std::move(action));
  }
  void arm_at(clock::time_point expiry, std::function<void()> action);
  void disarm() noexcept;

  // The action ran since the last arm(): the operation it bounded failed for lack of time.
  [[nodiscard]] bool expired() const noexcept { return expired_; }

 private:
  void wait();
  void fired(const boost::system::error_code& ec);

  boost::asio::steady_timer timer_;
  // Shared with the wait in flight, which may outlive this object: false once destroyed.
  std::shared_ptr<bool> alive_;
  std::function<void()> action_;
  clock::time_point expiry_;
  std::uint64_t wait_id_ = 0;  // the wait whose handler may act; an older one was superseded
  bool waiting_ = false;
  bool armed_ = false;
  bool expired_ = false;
};

}  // namespace relay::net
