#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "edge/edge_state.hpp"
#include "edge/stream_budget.hpp"
#include "edge/stream_target.hpp"
#include "relay/core/result.hpp"
#include "relay/net/h2_session.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {

// One connected agent: its HTTP/2 session (the edge is the client) and the control stream.
// Public requests reach it through open_stream(). Lives on the io thread.
class AgentSession : public StreamTarget,  // cluster: peer link (StreamProxy's target)
                     public std::enable_shared_from_this<AgentSession> {
 public:
  AgentSession(std::shared_ptr<EdgeState> state, std::shared_ptr<net::H2Session> h2, std::string id,
               std::string token_label, std::string remote);

  // Runs the session until the connection ends: HTTP/2 plus the control stream, whose first
  // message tells the agent its session id and public URLs.
  boost::asio::awaitable<core::error_code> run(std::vector<std::string> names);

  core::Result<std::shared_ptr<net::H2Stream>> open_stream(core::Headers headers, bool end_stream,
                                                           net::FieldNames names) override;
  // A place among the streams the agent allows at once, waiting up to limits.stream_wait for
  // one: an invalid ticket means the session stayed full (→ 503 with Retry-After).
  boost::asio::awaitable<StreamBudget::Ticket> reserve_stream() override;
  StreamBudget::Ticket try_reserve_stream() override;
  // GOAWAY: streams in flight finish, no new ones start.
  void shutdown();
  // Now: every stream fails (a resume replaced this session, or the drain deadline passed).
  void close();

  [[nodiscard]] const std::string& id() const { return id_; }
  // durable delivery: whether a new stream may start (no GOAWAY either way, connection up).
  [[nodiscard]] bool accepting() const { return !draining_ && h2_->is_open(); }
  [[nodiscard]] boost::asio::any_io_executor executor() const { return state_->executor; }
  [[nodiscard]] const std::string& label() const { return label_; }
  [[nodiscard]] std::size_t streams_in_use() const { return budget_.in_use(); }

 private:
  // How many public streams may run at once: the agent's SETTINGS_MAX_CONCURRENT_STREAMS less
  // the control stream, capped by limits.max_streams_per_session.
  [[nodiscard]] std::size_t stream_limit() const;
  boost::asio::awaitable<void> control_loop(std::vector<std::string> names);
  boost::asio::awaitable<void> end_control_when_idle(std::shared_ptr<AgentSession> self);
  boost::asio::awaitable<bool> handle_line(std::string_view line);
  boost::asio::awaitable<bool> send(const net::protocol::ControlMessage& message);
  std::vector<net::protocol::TunnelInfo> infos(const std::vector<std::string>& names) const;

  std::shared_ptr<EdgeState> state_;
  std::shared_ptr<net::H2Session> h2_;
  std::shared_ptr<net::H2Stream> control_;
  std::string id_;
  std::string label_;
  std::string remote_;
  bool draining_ = false;
  StreamBudget budget_;  // public streams; the control stream is not counted
};

}  // namespace relay::edge
