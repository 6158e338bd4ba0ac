#pragma once

#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "edge/buffer_policies.hpp"
#include "relay/net/tunnel_protocol.hpp"
#include "relay/store/delivery_queue.hpp"

namespace relay::edge {

// Connect and bind (durable delivery, docs/delivery.md): each granted name takes the buffer
// policy its tunnel request carried; a request without one turns buffering off for the name.
// `names[i]` is the name granted for `tunnels[i]`. `persistent` is the store's PolicyStore when
// an authtoken (which owns the names) bound them, so that the edge keeps queueing for them while
// the agent is away and after a restart; nullptr for an anonymous session, whose policies live
// only in `policies` until the registry releases its names. A store that cannot save is logged
// and the policy still applies for this edge's lifetime.
void record_bound_policies(BufferPolicies& policies, store::PolicyStore* persistent,
                           spdlog::logger& log,
                           const std::vector<net::protocol::TunnelRequest>& tunnels,
                           const std::vector<std::string>& names);

}  // namespace relay::edge
