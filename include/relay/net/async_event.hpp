#pragma once

#include <optional>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace relay::net {

// A wake-up flag for coroutines on one executor (not thread-safe by design: everything that
// touches it runs on the owner's thread). wait() returns at once if notify() came first.
// The event must outlive its waiter (the waiter holds what owns it).
//
// The timer is made on the first wait() that has to wait: making one looks up the timer service
// under the context's lock, and most events (a stream's send side above all) never wait.
class AsyncEvent {
 public:
  explicit AsyncEvent(boost::asio::any_io_executor ex) : executor_(std::move(ex)) {}

  boost::asio::awaitable<void> wait();
  void notify() {
    set_ = true;
    if (timer_) timer_->cancel();
  }
  // Forgets a notify() that no wait() consumed. Only while nobody waits (a reused owner).
  void clear() { set_ = false; }

 private:
  boost::asio::any_io_executor executor_;
  std::optional<boost::asio::steady_timer> timer_;
  bool set_ = false;
};

}  // namespace relay::net
