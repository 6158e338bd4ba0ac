#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string_view>

namespace relay::store::detail {

// The log line an operator needs when the state database fails: what happened to which file,
// and what to do. At most one line per kind of failure every 10 s (a full disk fails every
// request), with how many were left out.
class FailureLog {
 public:
  explicit FailureLog(std::filesystem::path file) : file_(std::move(file)) {}
  // `rc` is SQLite's (extended) result code; `op` what the store was doing; `detail` SQLite's
  // message when there is one.
  void report(int rc, std::string_view op, std::string_view detail = {});
  // The store's own size limit (store_max_size) was reached.
  void report_limit(std::uint64_t max_bytes);

 private:
  enum Kind { kDiskFull, kIo, kCorrupt, kBusy, kOther, kLimit, kKinds };
  bool due(Kind kind, std::uint64_t& left_out);

  std::filesystem::path file_;
  std::mutex mutex_;  // the writer thread and the io thread's connection both report
  std::chrono::steady_clock::time_point last_[kKinds]{};
  std::uint64_t left_out_[kKinds]{};
};

}  // namespace relay::store::detail
