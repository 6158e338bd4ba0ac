#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/steady_timer.hpp>

namespace relay::edge {

// Runs an action when a timer expires unless disarmed first: how the edge bounds an operation
// that has no timeout of its own (a TLS handshake on a raw socket, an agent's response head)
// without cancelling a coroutine mid-way. The action typically closes a socket or resets a
// stream, which makes the pending operation fail on its own. Safe to destroy while armed.
class Deadline {
 public:
  explicit Deadline(const boost::asio::any_io_executor& ex)
      : timer_(ex), generation_(std::make_shared<std::uint64_t>(0)) {}
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  ~Deadline() { disarm(); }

  void arm(std::chrono::steady_clock::duration after, std::function<void()> action) {
    const auto generation = ++*generation_;
    timer_.expires_after(after);
    timer_.async_wait([current = generation_, generation,
                       action = std::move(action)](const boost::system::error_code& ec) {
      // A handler already queued when disarm() ran sees a newer generation and does nothing.
      if (!ec && *current == generation) action();
    });
  }
  void disarm() {
    ++*generation_;
    timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  std::shared_ptr<std::uint64_t> generation_;
};

}  // namespace relay::edge
