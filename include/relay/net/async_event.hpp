#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace relay::net {

// A wake-up flag for coroutines on one executor (not thread-safe by design: everything that
// touches it runs on the owner's thread). wait() returns at once if notify() came first.
class AsyncEvent {
 public:
  explicit AsyncEvent(const boost::asio::any_io_executor& ex)
      : timer_(ex, boost::asio::steady_timer::time_point::max()) {}

  boost::asio::awaitable<void> wait();
  void notify() {
    set_ = true;
    timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  bool set_ = false;
};

}  // namespace relay::net
