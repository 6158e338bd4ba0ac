#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "agent/agent_metrics.hpp"
#include "relay/agent/agent.hpp"
#include "relay/agent/agent_options.hpp"
#include "relay/agent/upstream_address.hpp"
#include "relay/net/tunnel_protocol.hpp"
#include "relay/verify/verifier.hpp"

namespace relay::agent {

class UpstreamPool;
class Pipeline;

// One tunnel's live state. Shared by the agent and the requests in flight (which may outlive
// a session); touched only on the io thread.
struct TunnelRuntime {
  TunnelOptions options;
  UpstreamAddress upstream;
  std::string requested_name;  // what the next connect asks for ("": the edge picks)
  std::string public_name;     // what the edge assigned (relay-tunnel on each stream)
  std::string public_url;
  bool online = false;
  bool announced = false;  // tunnel_started fired for the current public_url
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t open = 0;  // requests in the pipeline now
  std::shared_ptr<UpstreamPool> pool;
  std::shared_ptr<Pipeline> pipeline;
  // The tunnel's verifier again, for the inspector's re-sign (null: the tunnel does not
  // verify); can_resign: it signs locally (a symmetric secret).
  std::shared_ptr<const verify::Verifier> signer;
  bool can_resign = false;
  const Agent::Events* events = nullptr;  // the agent's observers (outlive the tunnel's requests)
  AgentMetrics* metrics = nullptr;        // the agent's, which outlives the tunnel's requests
  TunnelSeries series;                    // this tunnel's series in `metrics`, once used

  [[nodiscard]] TunnelStatus status() const {
    return {options.name, public_url, options.proto, upstream.url(),
            online,       requests,   errors,        open};
  }
};

// What the edge is asked for: the name, the durable delivery policy (all of it but re-sign,
// which stays here with the secret) and the IP rules.
net::protocol::TunnelRequest tunnel_request(const TunnelRuntime& t);

}  // namespace relay::agent
