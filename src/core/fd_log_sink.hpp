#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <spdlog/sinks/base_sink.h>

namespace relay::core {

// A log sink writing to a file descriptor through its own buffer. Per-request lines (payload
// starting with kBatchMark, from log_request_event) to a file or pipe wait in the buffer while
// the process is busy, so it makes one write(2) per batch instead of one per request: the buffer
// goes out when
// it fills, with any other line (lifecycle lines are written at once: tools and tests read them
// as soon as the process reports ready), every kFlushInterval (a background flusher), and at
// exit. A terminal gets every line at once.
class FdLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Pollers (tests, `tail -f`) see a line within this much time.
  static constexpr auto kFlushInterval = std::chrono::milliseconds(50);
  // First byte of a log_event payload that may wait in the buffer.
  static constexpr char kBatchMark = '\x1d';

  // Takes ownership of fd when owned (a log file); stdout/stderr are not closed.
  FdLogSink(int fd, bool owned);
  ~FdLogSink() override;

  FdLogSink(const FdLogSink&) = delete;
  FdLogSink& operator=(const FdLogSink&) = delete;

  bool is_terminal() const { return terminal_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  static constexpr std::size_t kBufferLimit = 32 * 1024;

  void write_out();
  void run_flusher();

  int fd_;
  bool owned_;
  bool terminal_;
  std::string buffer_;
  spdlog::log_clock::time_point last_batched_{};
  spdlog::memory_buf_t line_;
  // The flusher waits on its own mutex so it never holds the sink's while sleeping.
  std::mutex flusher_mutex_;
  std::condition_variable flusher_wake_;
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace relay::core
