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
#include "agent/edge_link.hpp"
#include "agent/inspector_host.hpp"
#include "agent/tunnel_runtime.hpp"
#include "relay/agent/agent.hpp"
#include "relay/inspect/tunnel_directory.hpp"
#include "relay/net/async_event.hpp"
#include "relay/net/backoff.hpp"

namespace relay::agent {

// The owner of the tunnels and of the links to the edges: an EdgeLink per ha_connections
// (each its own dialer, backoff, session and reconnect loop), a TunnelRuntime per tunnel. A
// tunnel is online while any link is. Everything runs on the io_context's one thread.
class AgentInspector;

class Agent::Impl final : public LinkOwner, public InspectorHost {
 public:
  Impl(boost::asio::io_context& io, AgentOptions options);
  ~Impl() override;

  boost::asio::awaitable<core::error_code> run();
  void stop();
  std::vector<TunnelStatus> tunnels() const;
  std::string start_inspector();

  // InspectorHost (what AgentInspector may use) and LinkOwner.
  [[nodiscard]] bool stopping() const override { return stopping_; }

  // InspectorHost.
  [[nodiscard]] const std::vector<std::shared_ptr<TunnelRuntime>>& runtimes() const override {
    return tunnels_;
  }
  [[nodiscard]] std::shared_ptr<TunnelRuntime> find_by_name(std::string_view name) const override;
  boost::asio::awaitable<core::Result<TunnelStatus>> add_tunnel(TunnelOptions options) override;
  boost::asio::awaitable<core::error_code> remove_tunnel(std::string name) override;
  [[nodiscard]] std::string_view session_state() const override { return session_state_; }
  [[nodiscard]] std::string edge_address() const override;
  [[nodiscard]] std::vector<inspect::LinkStatus> link_status() const override;
  // Durable delivery (agent_queue.cpp): answers are matched by `request`; no answer within
  // kQueueTimeout → inspect::Errc::edge_timeout.
  boost::asio::awaitable<core::Result<net::protocol::DeliveriesMessage>> list_deliveries(
      net::protocol::ListDeliveriesMessage message) override;
  boost::asio::awaitable<core::Result<net::protocol::DeliveryResultMessage>> delivery_command(
      net::protocol::DeliveryCommandMessage message) override;
  static constexpr std::chrono::seconds kQueueTimeout{5};

  // LinkOwner (agent_links.cpp); stopping() above.
  boost::asio::awaitable<void> wait_for_names(EdgeLink& link) override;
  [[nodiscard]] net::protocol::ConnectRequest connect_request(const EdgeLink& link) const override;
  std::shared_ptr<TunnelRuntime> find_by_public_name(std::string_view name) override;
  void on_link_control(EdgeLink& link, const net::protocol::ControlMessage& message) override;
  void on_link_state(EdgeLink& link, std::string_view detail) override;
  void on_link_ended(EdgeLink& link) override;
  bool on_link_failed(EdgeLink& link, const DialFailure& failure) override;

  Events events;
  std::string last_error;

 private:
  struct PendingQuery {
    explicit PendingQuery(const boost::asio::any_io_executor& ex) : done(ex) {}
    net::AsyncEvent done;
    bool finished = false;
    std::optional<net::protocol::ControlMessage> answer;  // unset: `error`
    core::error_code error;
    const EdgeLink* link = nullptr;  // asked over this one
  };
  // Sends `message` (whose request id is `request`) and waits for the edge's answer.
  boost::asio::awaitable<core::Result<net::protocol::ControlMessage>> ask_edge(
      net::protocol::ControlMessage message, std::string request);
  // An answer to a queue request; false when it is not one.
  bool on_queue_answer(const net::protocol::ControlMessage& message);
  void finish_queries(const EdgeLink& link, core::error_code error);
  std::string next_query_id();

  std::shared_ptr<TunnelRuntime> make_runtime(TunnelOptions options);
  // The tunnel as `link`'s edge assigned it: the tunnel's URL when it is the first, else a
  // check that this edge agrees.
  void apply(EdgeLink& link, const std::shared_ptr<TunnelRuntime>& tunnel,
             const net::protocol::TunnelInfo& info);
  void on_session(EdgeLink& link, const net::protocol::SessionMessage& session);
  void on_bound(EdgeLink& link, const net::protocol::BoundMessage& bound);
  void on_error(EdgeLink& link, const net::protocol::ErrorMessage& error);
  [[nodiscard]] std::size_t links_online(const EdgeLink* except = nullptr) const;
  [[nodiscard]] EdgeLink* live_link() const;
  void state(std::string_view s, std::string_view detail);

  boost::asio::io_context& io_;
  AgentOptions options_;
  AgentMetrics metrics_;  // before the tunnels, whose requests count into it
  std::vector<std::shared_ptr<TunnelRuntime>> tunnels_;
  std::vector<std::unique_ptr<EdgeLink>> links_;
  const EdgeLink* naming_ = nullptr;  // the link asking for random names now
  std::map<std::string, std::shared_ptr<PendingQuery>, std::less<>> queries_;  // by request id
  std::uint64_t queries_sent_ = 0;
  bool stopping_ = false;
  std::string session_state_ = "connecting";
  std::string session_detail_;
  // Declared last: destroyed first, while the tunnels it reads still exist.
  std::unique_ptr<AgentInspector> inspector_;  // null when the inspector is off
};

}  // namespace relay::agent
