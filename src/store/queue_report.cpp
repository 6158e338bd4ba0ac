#include "relay/store/queue_report.hpp"

#include <ctime>

#include <fmt/format.h>

namespace relay::store {
namespace {

std::string utc(std::int64_t unix_ms) {
  const std::time_t t = unix_ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

// Long paths and errors would push the other columns out of a terminal.
std::string clip(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max - 3)) + "...";
}

}  // namespace

std::string format_age(std::int64_t ms) {
  if (ms <= 0) return "-";
  const std::int64_t s = ms / 1000;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

std::string format_queue_stats(const std::vector<TunnelQueueStats>& stats, std::int64_t now_ms) {
  std::string out =
      fmt::format("{:<24} {:>9} {:>10} {:>10} {:>8} {:>13} {:>10}\n", "TUNNEL", "QUEUED",
                  "DELIVERING", "DELIVERED", "DEAD", "OLDEST QUEUED", "BYTES");
  for (const auto& s : stats) {
    out += fmt::format("{:<24} {:>9} {:>10} {:>10} {:>8} {:>13} {:>10}\n", s.tunnel, s.queued,
                       s.delivering, s.delivered, s.dead,
                       s.oldest_queued_ms > 0 ? format_age(now_ms - s.oldest_queued_ms) : "-",
                       format_bytes(s.queued_bytes));
  }
  return out;
}

std::string format_delivery_list(const std::vector<Delivery>& deliveries, std::int64_t now_ms) {
  std::string out =
      fmt::format("{:<20} {:<16} {:<10} {:>8} {:<19} {:>7} {:<32} {}\n", "ID", "TUNNEL", "STATE",
                  "ATTEMPTS", "RECEIVED (UTC)", "AGE", "REQUEST", "LAST");
  for (const auto& d : deliveries) {
    std::string last = d.last_status > 0 ? std::to_string(d.last_status) : "";
    if (!d.last_error.empty()) last += (last.empty() ? "" : " ") + clip(d.last_error, 60);
    out +=
        fmt::format("{:<20} {:<16} {:<10} {:>8} {:<19} {:>7} {:<32} {}\n", d.id, d.tunnel,
                    to_string(d.state), d.attempts, utc(d.received_at_ms),
                    format_age(now_ms - d.received_at_ms), clip(d.method + " " + d.path, 32), last);
  }
  return out;
}

}  // namespace relay::store
