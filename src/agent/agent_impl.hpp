#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/agent_metrics.hpp"
#include "agent/agent_session.hpp"
#include "agent/edge_dialer.hpp"
#include "agent/tunnel_runtime.hpp"
#include "relay/agent/agent.hpp"
#include "relay/net/async_event.hpp"
#include "relay/net/backoff.hpp"

namespace relay::agent {

// The reconnecting owner of the tunnels. Composition: EdgeDialer + connect_handshake +
// AgentSession per connection, net::Backoff between them, a TunnelRuntime per tunnel.
// Everything runs on the io_context's one thread.
class AgentInspector;

class Agent::Impl final : public SessionHost {
 public:
  Impl(boost::asio::io_context& io, AgentOptions options);
  ~Impl() override;

  boost::asio::awaitable<core::error_code> run();
  void stop();
  std::vector<TunnelStatus> tunnels() const;
  boost::asio::awaitable<core::Result<TunnelStatus>> add_tunnel(TunnelOptions options);
  boost::asio::awaitable<core::error_code> remove_tunnel(std::string name);
  std::string start_inspector();

  // For the inspector (AgentInspector).
  [[nodiscard]] const std::vector<std::shared_ptr<TunnelRuntime>>& runtimes() const {
    return tunnels_;
  }
  [[nodiscard]] std::shared_ptr<TunnelRuntime> find_by_name(std::string_view name) const;
  [[nodiscard]] const AgentMetrics& metrics() const { return metrics_; }
  [[nodiscard]] bool stopping() const { return stopping_; }
  [[nodiscard]] std::string_view session_state() const { return session_state_; }
  [[nodiscard]] std::string edge_address() const;

  // Durable delivery (agent_queue.cpp): the edge's queue of this session's tunnels, asked over
  // the control stream; answers are matched by `request`. Errors: inspect::Errc::no_session
  // (no session), edge_timeout (no answer within kQueueTimeout).
  boost::asio::awaitable<core::Result<net::protocol::DeliveriesMessage>> list_deliveries(
      net::protocol::ListDeliveriesMessage message);
  boost::asio::awaitable<core::Result<net::protocol::DeliveryResultMessage>> delivery_command(
      net::protocol::DeliveryCommandMessage message);
  static constexpr std::chrono::seconds kQueueTimeout{5};

  std::shared_ptr<TunnelRuntime> find_by_public_name(std::string_view name) override;
  void on_control(const net::protocol::ControlMessage& message) override;

  Events events;
  std::string last_error;

 private:
  struct PendingBind {
    explicit PendingBind(const boost::asio::any_io_executor& ex) : done(ex) {}
    std::string tunnel;  // local name
    net::AsyncEvent done;
    bool finished = false;
    std::string error;
  };

  struct PendingQuery {
    explicit PendingQuery(const boost::asio::any_io_executor& ex) : done(ex) {}
    net::AsyncEvent done;
    bool finished = false;
    std::optional<net::protocol::ControlMessage> answer;  // unset: `error`
    core::error_code error;
  };
  // Sends `message` (whose request id is `request`) and waits for the edge's answer.
  boost::asio::awaitable<core::Result<net::protocol::ControlMessage>> ask_edge(
      net::protocol::ControlMessage message, std::string request);
  // An answer to a queue request; false when it is not one.
  bool on_queue_answer(const net::protocol::ControlMessage& message);
  void finish_queries(core::error_code error);
  std::string next_query_id();

  std::shared_ptr<TunnelRuntime> make_runtime(TunnelOptions options);
  net::protocol::ConnectRequest connect_request() const;
  void apply(TunnelRuntime& tunnel, const net::protocol::TunnelInfo& info);
  void set_offline(std::string_view detail);
  void state(std::string_view s, std::string_view detail);
  boost::asio::awaitable<bool> sleep(std::chrono::milliseconds delay);  // false: stopped
  void finish_pending(const std::string& error);

  boost::asio::io_context& io_;
  AgentOptions options_;
  AgentMetrics metrics_;  // before the tunnels, whose requests count into it
  EdgeDialer dialer_;
  net::Backoff backoff_;
  std::vector<std::shared_ptr<TunnelRuntime>> tunnels_;
  std::shared_ptr<AgentSession> session_;
  std::optional<std::string> session_id_;
  std::deque<std::shared_ptr<PendingBind>> pending_;
  std::map<std::string, std::shared_ptr<PendingQuery>, std::less<>> queries_;  // by request id
  std::uint64_t queries_sent_ = 0;
  boost::asio::steady_timer sleep_timer_;
  bool stopping_ = false;
  bool ever_online_ = false;
  std::string session_state_ = "connecting";
  // Declared last: destroyed first, while the tunnels it reads still exist.
  std::unique_ptr<AgentInspector> inspector_;  // null when the inspector is off
};

}  // namespace relay::agent
