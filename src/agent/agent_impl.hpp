#pragma once

#include <deque>
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
  boost::asio::steady_timer sleep_timer_;
  bool stopping_ = false;
  bool ever_online_ = false;
  std::string session_state_ = "connecting";
  // Declared last: destroyed first, while the tunnels it reads still exist.
  std::unique_ptr<AgentInspector> inspector_;  // null when the inspector is off
};

}  // namespace relay::agent
