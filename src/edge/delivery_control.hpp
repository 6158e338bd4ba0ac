#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "relay/net/tunnel_protocol.hpp"
#include "relay/store/delivery_queue.hpp"

namespace relay::edge {

// The edge's side of the control stream's queue messages (docs/protocol.md, "Control stream"):
// an agent sees and manages the deliveries of the tunnels its session holds, and nothing else
// (a delivery of another tunnel is "not_found", as if it did not exist).

// list_deliveries → deliveries: newest first, at most the request's limit (1..1000). An unknown
// or foreign tunnel, or an unknown state, gives an empty list.
boost::asio::awaitable<net::protocol::DeliveriesMessage> list_deliveries(
    store::DeliveryQueue& queue, const net::protocol::ListDeliveriesMessage& request,
    const std::vector<std::string>& own_tunnels);

// delivery_command → delivery_result. retry (a dead or delivered one, queued again now: `wake`
// is called with its tunnel), drop (one delivery, not while it is being delivered), purge (a
// tunnel's deliveries in a state, or in every state but delivering). Codes: "" done,
// not_found, bad_request (an unknown action or state, a missing id or tunnel), conflict (the
// delivery is being delivered right now), store_unavailable.
boost::asio::awaitable<net::protocol::DeliveryResultMessage> run_delivery_command(
    store::DeliveryQueue& queue, const net::protocol::DeliveryCommandMessage& command,
    const std::vector<std::string>& own_tunnels, std::int64_t now_ms,
    const std::function<void(const std::string& tunnel)>& wake);

}  // namespace relay::edge
