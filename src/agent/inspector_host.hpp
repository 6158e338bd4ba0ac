#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "relay/agent/agent.hpp"
#include "relay/agent/agent_options.hpp"
#include "relay/core/result.hpp"
#include "relay/inspect/tunnel_directory.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::agent {

struct TunnelRuntime;

// What the inspector (AgentInspector) may see and do of the agent that owns it, and nothing
// more: the tunnels, adding and removing one, the session's state, and the edge's delivery
// queue. Implemented by Agent::Impl; the inspector never sees the links, sessions or options.
// Called on the agent's io thread only.
class InspectorHost {
 public:
  virtual ~InspectorHost() = default;

  // The agent is shutting down: no new replays.
  [[nodiscard]] virtual bool stopping() const = 0;

  [[nodiscard]] virtual const std::vector<std::shared_ptr<TunnelRuntime>>& runtimes() const = 0;
  // By local name (the config key); null when there is none.
  [[nodiscard]] virtual std::shared_ptr<TunnelRuntime> find_by_name(
      std::string_view name) const = 0;
  virtual boost::asio::awaitable<core::Result<TunnelStatus>> add_tunnel(TunnelOptions options) = 0;
  virtual boost::asio::awaitable<core::error_code> remove_tunnel(std::string name) = 0;

  // "connecting", "online", "reconnecting", "stopped".
  [[nodiscard]] virtual std::string_view session_state() const = 0;
  // The configured edges, comma-separated.
  [[nodiscard]] virtual std::string edge_address() const = 0;
  // Each link's edge ("host:port"), the address it reached, and its state.
  [[nodiscard]] virtual std::vector<inspect::LinkStatus> link_status() const = 0;

  // The edge's queue of this session's tunnels, asked over the control stream of any live link.
  // Errors: inspect::Errc::no_session (no session), edge_timeout (no answer in time).
  virtual boost::asio::awaitable<core::Result<net::protocol::DeliveriesMessage>> list_deliveries(
      net::protocol::ListDeliveriesMessage message) = 0;
  virtual boost::asio::awaitable<core::Result<net::protocol::DeliveryResultMessage>>
  delivery_command(net::protocol::DeliveryCommandMessage message) = 0;
};

}  // namespace relay::agent
