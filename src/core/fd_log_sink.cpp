#include "fd_log_sink.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace relay::core {

FdLogSink::FdLogSink(int fd, bool owned) : fd_(fd), owned_(owned), terminal_(isatty(fd) != 0) {
  if (!terminal_) {
    buffer_.reserve(kBufferLimit + 4096);
    flusher_ = std::thread([this] { run_flusher(); });
  }
}

FdLogSink::~FdLogSink() {
  if (flusher_.joinable()) {
    {
      std::lock_guard lock(flusher_mutex_);
      stopping_ = true;
    }
    flusher_wake_.notify_one();
    flusher_.join();
  }
  {
    std::lock_guard lock(mutex_);
    write_out();
  }
  if (owned_) ::close(fd_);
}

void FdLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  line_.clear();
  formatter_->format(msg, line_);
  const bool batched = msg.payload.size() > 0 && msg.payload.data()[0] == kBatchMark;
  take_line(msg.time, msg.level, batched);
}

bool FdLogSink::write_event(const EventFormatter::Event& event, bool batched) {
  std::lock_guard lock(mutex_);
  if (event_formatter_ == nullptr) return false;
  line_.clear();
  event_formatter_->format_event(event, line_);
  take_line(event.time, event.level, batched);
  return true;
}

void FdLogSink::set_formatter_(std::unique_ptr<spdlog::formatter> formatter) {
  formatter_ = std::move(formatter);
  event_formatter_ = dynamic_cast<EventFormatter*>(formatter_.get());
}

void FdLogSink::take_line(spdlog::log_clock::time_point time, spdlog::level::level_enum level,
                          bool batched) {
  buffer_.append(line_.data(), line_.size());
  // A request line waits only while they are coming fast (the previous one is less than
  // kFlushInterval old): the first after a quiet spell is written at once, so a reader that made
  // one request sees its line without waiting for the flusher.
  bool hold = false;
  if (batched) {
    hold = time - last_batched_ < kFlushInterval;
    last_batched_ = time;
  }
  if (terminal_ || !hold || level >= spdlog::level::warn || buffer_.size() >= kBufferLimit) {
    write_out();
  }
}

void FdLogSink::flush_() { write_out(); }

// Logging must never fail the caller: a line that cannot be written (full disk, closed pipe) is
// dropped, as spdlog's own sinks do with fwrite errors they swallow in flush.
void FdLogSink::write_out() {
  // Whatever the program printed through stdio before these lines goes first.
  if (fd_ == STDOUT_FILENO) std::fflush(stdout);
  std::size_t done = 0;
  while (done < buffer_.size()) {
    auto n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

void FdLogSink::run_flusher() {
  std::unique_lock lock(flusher_mutex_);
  while (!flusher_wake_.wait_for(lock, kFlushInterval, [this] { return stopping_; })) {
    std::lock_guard sink_lock(mutex_);
    if (!buffer_.empty()) write_out();
  }
}

}  // namespace relay::core
