#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <chrono>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "relay/agent/agent_error.hpp"
#include "relay/agent/agent_options.hpp"
#include "relay/core/result.hpp"

namespace relay::agent {

struct TunnelStatus {
  std::string name;        // local name (config key)
  std::string public_url;  // empty until the edge has assigned it
  std::string proto;
  std::string addr;  // the upstream, as a URL ("http://localhost:3000")
  bool online = false;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;  // answers relay generated (5xx from relay, 403 verification)
  std::uint64_t open = 0;    // requests in flight
};

// One finished request, for the console's "HTTP Requests" list.
struct RequestSummary {
  std::string tunnel;
  std::string method;
  std::string path;
  int status = 0;  // 0: no response was sent
  std::chrono::microseconds duration{0};
  std::string relay_code;  // set when relay answered itself
  bool replay = false;
};

// The local side: dials the edge, registers tunnels, serves streams, reconnects. It composes
// the parts in src/agent (dialer, handshake, session, pipeline, upstream pool) and holds no
// protocol logic itself. Everything runs on the io_context's one thread.
class Agent {
 public:
  // Throws std::runtime_error for options that can never work (a bad upstream address, an
  // unreadable --edge-ca file, an unknown verification provider), with a message for the user.
  Agent(boost::asio::io_context& io, AgentOptions options);
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  ~Agent();

  // Dials, registers tunnels, serves streams and reconnects with backoff until stop() or a
  // permanent error: authentication failed, a requested name held by another session on the
  // first connect, a connect request the edge rejects, or an edge certificate the agent
  // refuses (retrying cannot fix a certificate). Returns that error (see
  // last_error_message()), or success after stop().
  boost::asio::awaitable<core::error_code> run();
  // Graceful: GOAWAY, requests in flight finish (up to a deadline), then run() returns.
  void stop();

  [[nodiscard]] std::vector<TunnelStatus> tunnels() const;

  // Starts the local inspector (web UI + API, docs/inspector.md) when options.inspect_addr is
  // set, and logs `starting web service`. Returns its URL ("http://127.0.0.1:4040"), or "" when
  // it is turned off. Throws std::runtime_error (which address, what to do) when it cannot bind.
  // Call before run(); stop() stops it.
  std::string start_inspector();

  // Runtime changes (inspector, config reload), sent over the control stream (bind/unbind).
  boost::asio::awaitable<core::Result<TunnelStatus>> add_tunnel(TunnelOptions options);
  boost::asio::awaitable<core::error_code> remove_tunnel(std::string name);

  // Observers (console, logs, inspector): set before run().
  struct Events {
    std::function<void(const TunnelStatus&)> tunnel_started;
    // "connecting", "online", "reconnecting", "stopped"; detail says why.
    std::function<void(std::string_view state, std::string_view detail)> session_state;
    std::function<void(const RequestSummary&)> request_finished;  // each request, when over
  };
  void set_events(Events events);

  // The user-facing sentence for the error run() returned.
  [[nodiscard]] const std::string& last_error_message() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace relay::agent
