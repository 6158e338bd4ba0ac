#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include <boost/asio/ip/tcp.hpp>

#include "relay/net/deadline.hpp"

namespace relay::edge {

// The minimum body rate of the public side, after a grace period (Apache's mod_reqtimeout
// MinRate): each byte earns reading time, so a 1 GiB upload at any sane rate goes through while
// a caller trickling a byte every few seconds to hold a connection is cut off. Only time spent
// waiting for the caller counts (not time waiting for the agent's flow-control window, which is
// the app's doing). Bytes arrive into the body buffer during a read, which returns only once the
// buffer is full: the guard counts them as they come, re-arms while the caller keeps up, and
// otherwise cancels the read. Not the stream's own timeout: that closes the socket, and the 408
// would be lost. Used by StreamProxy (live) and BufferedAccept (queued); lives on the io thread.
class BodyRateGuard {
 public:
  // `min_rate` 0: no minimum (every read_started() returns true, nothing is armed).
  BodyRateGuard(const boost::asio::any_io_executor& ex, boost::asio::ip::tcp::socket& socket,
                std::size_t min_rate, std::chrono::seconds grace);
  BodyRateGuard(const BodyRateGuard&) = delete;
  BodyRateGuard& operator=(const BodyRateGuard&) = delete;

  // Before a read; `filled` says how many bytes that read has put in the buffer so far. False
  // when the caller ran out of reading time before the read began (nothing to cancel then).
  bool read_started(std::function<std::size_t()> filled);
  // After it: `got` bytes were read.
  void read_ended(std::size_t got);
  // The caller was too slow: the read was (or would have been) cancelled for it.
  [[nodiscard]] bool too_slow() const { return too_slow_; }

 private:
  using seconds_f = std::chrono::duration<double>;
  void check();

  boost::asio::ip::tcp::socket& socket_;
  std::size_t min_rate_;
  std::chrono::seconds grace_;
  net::Deadline deadline_;
  std::function<std::size_t()> filled_;
  seconds_f reading_{0};
  std::uint64_t received_ = 0;
  std::chrono::steady_clock::time_point read_started_;
  bool too_slow_ = false;
};

}  // namespace relay::edge
