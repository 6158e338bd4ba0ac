#pragma once

#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <spdlog/sinks/base_sink.h>

#include "relay/core/log.hpp"

namespace relay::core {

// A formatter that also renders a log_event() call's fields directly, without a spdlog message.
class EventFormatter : public spdlog::formatter {
 public:
  struct Event {
    spdlog::log_clock::time_point time;
    spdlog::level::level_enum level;
    std::string_view logger;
    std::string_view msg;
    std::initializer_list<LogField> fields;
  };
  virtual void format_event(const Event& event, spdlog::memory_buf_t& dest) = 0;
};

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

  // log_event()'s direct path. False when this sink's formatter is not an EventFormatter (the
  // caller then goes through spdlog).
  bool write_event(const EventFormatter::Event& event, bool batched);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override;

 private:
  static constexpr std::size_t kBufferLimit = 32 * 1024;

  // Appends line_ to the buffer and writes the buffer out unless the line may wait.
  void take_line(spdlog::log_clock::time_point time, spdlog::level::level_enum level, bool batched);
  void write_out();
  void run_flusher();

  int fd_;
  bool owned_;
  bool terminal_;
  std::string buffer_;
  spdlog::log_clock::time_point last_batched_{};
  spdlog::memory_buf_t line_;
  EventFormatter* event_formatter_ = nullptr;  // formatter_, when it is one
  // The flusher waits on its own mutex so it never holds the sink's while sleeping.
  std::mutex flusher_mutex_;
  std::condition_variable flusher_wake_;
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace relay::core
