#include "store/failure_log.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include "relay/core/log.hpp"

namespace relay::store::detail {

bool FailureLog::due(Kind kind, std::uint64_t& left_out) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (last_[kind] != std::chrono::steady_clock::time_point{} &&
      now - last_[kind] < std::chrono::seconds(10)) {
    ++left_out_[kind];
    return false;
  }
  last_[kind] = now;
  left_out = left_out_[kind];
  left_out_[kind] = 0;
  return true;
}

void FailureLog::report(int rc, std::string_view op, std::string_view detail) {
  Kind kind = kOther;
  std::string_view action =
      "check the file and the disk holding it; requests for buffered tunnels are answered 503 "
      "RELAY_QUEUE_UNAVAILABLE meanwhile";
  switch (rc & 0xff) {
    case SQLITE_FULL:
      kind = kDiskFull;
      action =
          "the disk holding the file is full: free space there (queued requests are answered 503 "
          "RELAY_QUEUE_UNAVAILABLE until then); store_max_size keeps the queue below a limit";
      break;
    case SQLITE_IOERR:
      kind = kIo;
      action =
          "the disk returned an I/O error: check it (dmesg, smartctl) and its free space; "
          "requests for buffered tunnels are answered 503 RELAY_QUEUE_UNAVAILABLE meanwhile";
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      kind = kCorrupt;
      action =
          "the file is corrupt: stop the edge, restore it from a backup or move it (and its -wal "
          "and -shm files) away, then start the edge again";
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      kind = kBusy;
      action = "another process holds the file's write lock: stop it (only the edge writes it)";
      break;
    default:
      break;
  }
  std::uint64_t left_out = 0;
  if (!due(kind, left_out)) return;
  core::log_event(*core::logger("relay.store"), spdlog::level::err,
                  "the edge's state database failed",
                  {{"file", file_.string()},
                   {"op", std::string(op)},
                   {"err", detail.empty() ? std::string(sqlite3_errstr(rc)) : std::string(detail)},
                   {"action", std::string(action)},
                   {"similar_failures_not_logged", left_out ? std::to_string(left_out) : ""}});
}

void FailureLog::report_limit(std::uint64_t max_bytes) {
  std::uint64_t left_out = 0;
  if (!due(kLimit, left_out)) return;
  core::log_event(
      *core::logger("relay.store"), spdlog::level::warn,
      "the delivery queue reached the store's size limit",
      {{"file", file_.string()},
       {"limit_bytes", max_bytes},
       {"action",
        "requests for buffered tunnels are answered 503 RELAY_QUEUE_FULL until deliveries are "
        "delivered, dropped (relay queue drop|purge) or expire; or raise store_max_size"},
       {"similar_failures_not_logged", left_out ? std::to_string(left_out) : ""}});
}

}  // namespace relay::store::detail
