#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace relay::cli {

// systemd's notify protocol (Type=notify), spoken directly: one datagram per state change to
// the AF_UNIX socket named by $NOTIFY_SOCKET. No libsystemd needed; without $NOTIFY_SOCKET (not
// under systemd) every call does nothing.
class SdNotifier {
 public:
  SdNotifier();

  [[nodiscard]] bool enabled() const { return !socket_path_.empty(); }

  // "READY=1", "STOPPING=1", "STATUS=…", "WATCHDOG=1"; false when not sent.
  bool notify(std::string_view state) const;
  bool ready(std::string_view status = {}) const;
  bool stopping() const { return notify("STOPPING=1"); }
  bool reloading() const { return notify("RELOADING=1"); }
  bool status(std::string_view text) const;

  // When the unit sets WatchdogSec= ($WATCHDOG_USEC, for this PID), sends WATCHDOG=1 every half
  // period from a timer on `io`: a stuck io thread stops the pings and systemd restarts relay.
  void start_watchdog(boost::asio::io_context& io);
  void stop_watchdog();

 private:
  void schedule_ping();

  std::string socket_path_;
  std::chrono::microseconds watchdog_period_{0};
  std::unique_ptr<boost::asio::steady_timer> watchdog_timer_;
};

}  // namespace relay::cli
