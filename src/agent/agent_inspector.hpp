#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "agent/inspector_host.hpp"
#include "relay/agent/agent_options.hpp"
#include "relay/inspect/capture_store.hpp"
#include "relay/inspect/deliveries.hpp"
#include "relay/inspect/inspector_server.hpp"
#include "relay/inspect/replayer.hpp"
#include "relay/inspect/tunnel_directory.hpp"

namespace relay::agent {

class AgentMetrics;
struct TunnelRuntime;

// The agent side of the inspector (docs/inspector.md): owns the capture store and the
// InspectorServer, and implements what inspect asks of the agent, the tunnel directory and the
// replayer, on top of what InspectorHost lets it see of the agent. Everything runs on the agent's
// io thread.
class AgentInspector final : public inspect::TunnelDirectory,
                             public inspect::Replayer,
                             public inspect::Deliveries {
 public:
  // Opens the captures database (throws std::runtime_error at start-up when it cannot).
  // `agent` and `metrics` outlive the inspector (the agent owns it).
  AgentInspector(InspectorHost& agent, const AgentMetrics& metrics, boost::asio::any_io_executor ex,
                 const AgentOptions& options);
  ~AgentInspector() override;

  [[nodiscard]] inspect::CaptureStore& store() { return store_; }
  [[nodiscard]] std::size_t body_limit() const { return body_limit_; }

  // Binds and logs `starting web service`; returns the URL. Throws std::runtime_error.
  std::string start();
  void stop();

  // TunnelDirectory
  [[nodiscard]] std::vector<inspect::TunnelInfo> tunnels() const override;
  [[nodiscard]] std::optional<inspect::TunnelInfo> tunnel(std::string_view name) const override;
  boost::asio::awaitable<core::Result<inspect::TunnelInfo>> add_tunnel(
      inspect::TunnelSpec spec) override;
  boost::asio::awaitable<core::Result<void>> remove_tunnel(std::string name) override;
  [[nodiscard]] inspect::AgentStatus status() const override;

  // Replayer
  boost::asio::awaitable<core::Result<std::string>> replay(
      const inspect::Capture& original, const inspect::ReplayModifications& mods) override;

  // Deliveries (the edge's queue of this agent's tunnels)
  boost::asio::awaitable<core::Result<std::vector<net::protocol::DeliverySummary>>> list(
      inspect::DeliveryFilter filter) override;
  boost::asio::awaitable<core::Result<inspect::DeliveryOutcome>> command(
      std::string action, std::string delivery_id, std::string tunnel, std::string state) override;

 private:
  [[nodiscard]] inspect::TunnelInfo info(const TunnelRuntime& t) const;
  // A tunnel named by its local name (config key) or its public one → the public name the edge
  // knows; unknown names are passed on as they are.
  [[nodiscard]] std::string public_tunnel_name(std::string name) const;

  InspectorHost& agent_;
  const AgentMetrics& metrics_;
  boost::asio::any_io_executor ex_;
  std::string addr_;
  std::string version_;
  std::size_t body_limit_;
  inspect::CaptureStore store_;
  std::optional<inspect::InspectorServer> server_;
};

// Where captures.db lives: `configured`, else $RELAY_STATE_DIR, else $XDG_STATE_HOME/relay,
// else ~/.local/state/relay.
std::string resolve_state_dir(const std::string& configured);

}  // namespace relay::agent
