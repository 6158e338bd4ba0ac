#include "cli/console_status.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <boost/beast/http/status.hpp>

namespace relay::cli {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kRecentRows = 10;
constexpr std::size_t kDurationWindow = 200;
constexpr auto kRedrawEvery = std::chrono::milliseconds{200};
constexpr int kLabelWidth = 30;

std::string label(std::string_view name, std::string_view value) {
  return fmt::format("{:<{}}{}", name, kLabelWidth, value);
}

std::string now_hms() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  return fmt::format("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

std::string status_text(const agent::RequestSummary& r) {
  if (r.status == 0) return r.relay_code.empty() ? "-" : r.relay_code;
  auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(r.status));
  std::string text = fmt::format("{} {}", r.status, std::string_view(reason.data(), reason.size()));
  if (!r.relay_code.empty()) text += " (" + r.relay_code + ")";
  return text;
}

double percentile_ms(std::vector<std::chrono::microseconds> d, double p) {
  if (d.empty()) return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(d.size() - 1));
  std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(k), d.end());
  return static_cast<double>(d[k].count()) / 1000.0;
}

}  // namespace

ConsoleStatus::ConsoleStatus(asio::io_context& io, std::ostream& out, std::string version,
                             std::string web_url, Counters counters)
    : out_(out),
      timer_(io),
      version_(std::move(version)),
      web_url_(std::move(web_url)),
      counters_(std::move(counters)) {}

void ConsoleStatus::start() { draw(); }

void ConsoleStatus::stop() {
  if (stopped_) return;
  session_ = "stopped";
  draw();
  stopped_ = true;
  timer_.cancel();
  out_ << std::flush;
}

void ConsoleStatus::session_state(std::string_view state, std::string_view detail) {
  session_ = std::string(state);
  // Online, the detail is the session id, except with several edges: "online (2/2 edges)".
  const bool edges = detail.ends_with(" edges");
  detail_ = state == "online" && !edges ? std::string() : std::string(detail);
  schedule();
}

void ConsoleStatus::tunnel_started(const agent::TunnelStatus& tunnel) {
  auto it = std::find_if(forwarding_.begin(), forwarding_.end(),
                         [&](const auto& f) { return f.second == tunnel.addr; });
  if (it != forwarding_.end() && forwarding_.size() == 1) {
    it->first = tunnel.public_url;
  } else {
    forwarding_.emplace_back(tunnel.public_url, tunnel.addr);
  }
  schedule();
}

void ConsoleStatus::request_finished(const agent::RequestSummary& r) {
  recent_.push_front({now_hms(), r.method, r.path, status_text(r), r.replay});
  if (recent_.size() > kRecentRows) recent_.pop_back();
  durations_.push_back(r.duration);
  if (durations_.size() > kDurationWindow) durations_.pop_front();
  schedule();
}

std::vector<std::string> ConsoleStatus::lines() const {
  std::vector<std::string> out;
  out.push_back(fmt::format("{:<60}{}", "relay", "(Ctrl+C to quit)"));
  out.emplace_back();
  out.push_back(
      label("Session Status", detail_.empty() ? session_ : session_ + " (" + detail_ + ")"));
  out.push_back(label("Version", version_));
  out.push_back(label("Web Interface", web_url_.empty() ? "off (--inspect=false)" : web_url_));
  for (const auto& [url, upstream] : forwarding_) {
    out.push_back(
        label("Forwarding", (url.empty() ? "(waiting for the edge)" : url) + " -> " + upstream));
  }
  std::uint64_t total = 0;
  std::uint64_t open = 0;
  std::uint64_t errors = 0;
  if (counters_) {
    for (const auto& t : counters_()) {
      total += t.requests + t.open;
      open += t.open;
      errors += t.errors;
    }
  }
  std::vector<std::chrono::microseconds> d(durations_.begin(), durations_.end());
  out.emplace_back();
  out.push_back(label("Connections",
                      fmt::format("{:<8}{:<8}{:<8}{:<8}{:<8}", "ttl", "opn", "err", "p50", "p90")));
  out.push_back(label("", fmt::format("{:<8}{:<8}{:<8}{:<8.2f}{:<8.2f}", total, open, errors,
                                      percentile_ms(d, 0.5), percentile_ms(d, 0.9))));
  out.emplace_back();
  out.emplace_back("HTTP Requests");
  out.emplace_back("-------------");
  out.emplace_back();
  for (const auto& r : recent_) {
    std::string path = r.path.size() > 40 ? r.path.substr(0, 39) + "…" : r.path;
    out.push_back(fmt::format("{}  {:<7} {:<42} {}{}", r.time, r.method, path, r.status,
                              r.replay ? "  (replay)" : ""));
  }
  return out;
}

void ConsoleStatus::schedule() {
  dirty_ = true;
  if (timer_armed_ || stopped_) return;
  timer_armed_ = true;
  timer_.expires_after(kRedrawEvery);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    timer_armed_ = false;
    if (!ec && dirty_ && !stopped_) draw();
  });
}

void ConsoleStatus::draw() {
  if (stopped_) return;
  dirty_ = false;
  std::string frame;
  // Home, then each line cleared to its end; the rest of the screen cleared below the block.
  frame += first_draw_ ? "\x1b[2J\x1b[H" : "\x1b[H";
  first_draw_ = false;
  for (const auto& line : lines()) {
    frame += line;
    frame += "\x1b[K\n";
  }
  frame += "\x1b[J";
  out_ << frame << std::flush;
}

}  // namespace relay::cli
