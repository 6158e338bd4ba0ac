#include "cli/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace relay::cli {

SdNotifier::SdNotifier() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  // '@' is an abstract socket; a path must be absolute. Anything else is not systemd's.
  if (path != nullptr && (path[0] == '/' || path[0] == '@') &&
      std::strlen(path) < sizeof(sockaddr_un::sun_path)) {
    socket_path_ = path;
  }
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* pid = std::getenv("WATCHDOG_PID");
  if (usec != nullptr && (pid == nullptr || std::atol(pid) == static_cast<long>(::getpid()))) {
    const long long value = std::atoll(usec);
    if (value > 0) watchdog_period_ = std::chrono::microseconds{value};
  }
}

bool SdNotifier::notify(std::string_view state) const {
  if (socket_path_.empty()) return false;
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
  // A datagram to a local socket does not block for long; systemd reads it at once.
  const auto sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&address), length);
  ::close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

bool SdNotifier::ready(std::string_view status_text) const {
  std::string message = "READY=1";
  if (!status_text.empty()) message += "\nSTATUS=" + std::string{status_text};
  return notify(message);
}

bool SdNotifier::status(std::string_view text) const {
  return notify("STATUS=" + std::string{text});
}

void SdNotifier::start_watchdog(boost::asio::io_context& io) {
  if (!enabled() || watchdog_period_.count() == 0 || watchdog_timer_) return;
  watchdog_timer_ = std::make_unique<boost::asio::steady_timer>(io);
  notify("WATCHDOG=1");
  schedule_ping();
}

void SdNotifier::stop_watchdog() {
  if (watchdog_timer_) watchdog_timer_->cancel();
}

void SdNotifier::schedule_ping() {
  watchdog_timer_->expires_after(watchdog_period_ / 2);
  watchdog_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: stopping
    notify("WATCHDOG=1");
    schedule_ping();
  });
}

}  // namespace relay::cli
