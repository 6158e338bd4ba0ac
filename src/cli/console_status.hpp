#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "relay/agent/agent.hpp"

namespace relay::cli {

// The ngrok-like status block `relay http` shows when stdout is a terminal: session status,
// version, web interface, forwarding lines, connection counters and the last requests, redrawn
// in place. Redraws are coalesced (at most a few per second) so a burst of requests costs the
// io thread almost nothing. When stdout is not a terminal, plain lines are printed instead
// (http_command.cpp): scripts and tests read those.
class ConsoleStatus {
 public:
  using Counters = std::function<std::vector<agent::TunnelStatus>()>;

  ConsoleStatus(boost::asio::io_context& io, std::ostream& out, std::string version,
                std::string web_url, Counters counters);

  void start();
  void stop();  // a last draw, then the cursor goes below the block

  void session_state(std::string_view state, std::string_view detail);
  void tunnel_started(const agent::TunnelStatus& tunnel);
  void request_finished(const agent::RequestSummary& request);

  // The block's text, without terminal control sequences (also what tests can assert).
  [[nodiscard]] std::vector<std::string> lines() const;

 private:
  struct Row {
    std::string time;
    std::string method;
    std::string path;
    std::string status;
    bool replay = false;
  };

  void schedule();
  void draw();

  std::ostream& out_;
  boost::asio::steady_timer timer_;
  std::string version_;
  std::string web_url_;
  Counters counters_;
  std::string session_ = "connecting";
  std::string detail_;
  std::vector<std::pair<std::string, std::string>> forwarding_;  // url, upstream
  std::deque<Row> recent_;                                       // newest first
  std::deque<std::chrono::microseconds> durations_;              // for p50/p90
  bool dirty_ = true;
  bool timer_armed_ = false;
  bool stopped_ = false;
  bool first_draw_ = true;
};

}  // namespace relay::cli
