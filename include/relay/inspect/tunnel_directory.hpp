#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "relay/core/result.hpp"

namespace relay::inspect {

// Counters shown in GET /api/tunnels (ngrok's `metrics.conns` / `metrics.http`, reduced to
// counts; rates and percentiles are left at 0 by the agent when it does not compute them).
struct TunnelMetrics {
  std::uint64_t connections = 0;  // requests received
  std::uint64_t open = 0;         // requests in flight
  std::uint64_t http_count = 0;   // responses sent
};

struct TunnelInfo {
  std::string name;
  std::string public_url;       // "https://abc.relay.example.com"
  std::string proto = "https";  // ngrok reports the public URL's scheme
  std::string addr;             // upstream as configured ("http://localhost:3000")
  std::string verify_provider;  // "" when the tunnel does not verify signatures
  bool can_resign = false;      // relay holds a secret it can sign with
  TunnelMetrics metrics;
};

// POST /api/tunnels: ngrok's body, {"name","addr","proto","subdomain"|"hostname"|"url", ...}.
struct TunnelSpec {
  std::string name;
  std::string proto = "http";
  std::string addr;
  std::string url;              // requested public name (subdomain, hostname or URL); empty: random
  std::string verify_provider;  // optional "verify_webhook": {"provider","secret"}
  std::string verify_secret;
};

// For GET /api/status.
// One of the agent's sessions with an edge (high availability: several at once).
struct LinkStatus {
  std::string edge;     // "a.example.com:4443", as configured
  std::string address;  // the address it last reached ("192.0.2.1:4443"); empty before
  std::string state;    // "online", "connecting", "reconnecting", "stopped"
};

struct AgentStatus {
  std::string session = "online";  // "online", "connecting", "reconnecting", "offline"
  std::string edge;                // "relay.example.com:4443" or "embedded"
  std::string version;
  std::vector<LinkStatus> links;  // one per ha_connections
};

// The agent's tunnels, as the inspector sees and changes them. Implemented by the agent;
// called on its io thread only.
class TunnelDirectory {
 public:
  virtual ~TunnelDirectory() = default;

  [[nodiscard]] virtual std::vector<TunnelInfo> tunnels() const = 0;
  [[nodiscard]] virtual std::optional<TunnelInfo> tunnel(std::string_view name) const = 0;
  // Starts a tunnel and completes when the edge has bound it (or refused: tunnel_exists,
  // invalid_tunnel, or the agent's own error, whose message the API shows).
  virtual boost::asio::awaitable<core::Result<TunnelInfo>> add_tunnel(TunnelSpec spec) = 0;
  // tunnel_not_found when there is no such tunnel.
  virtual boost::asio::awaitable<core::Result<void>> remove_tunnel(std::string name) = 0;
  [[nodiscard]] virtual AgentStatus status() const { return {}; }
};

}  // namespace relay::inspect
