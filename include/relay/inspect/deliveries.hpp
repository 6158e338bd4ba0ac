#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "relay/core/result.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::inspect {

// Which deliveries GET /api/deliveries lists.
struct DeliveryFilter {
  std::string tunnel;  // "" every tunnel of the agent
  std::string state;   // "" every state; else queued, delivering, delivered, dead
  int limit = 100;     // newest first, 1-1000
};

// What the edge said to a retry, drop or purge: `code` "" success (`count` changed), else the
// edge's code (not_found, bad_request, store_unavailable, ...) and its message.
struct DeliveryOutcome {
  std::uint64_t count = 0;
  std::string code;
  std::string message;
};

// The durable delivery queue of the agent's tunnels, which lives at the edge (docs/delivery.md):
// the agent asks over its control stream. Transport failures are errors: Errc::no_session when
// no session with the edge is up, Errc::edge_timeout when the edge does not answer in time.
class Deliveries {
 public:
  virtual ~Deliveries() = default;
  virtual boost::asio::awaitable<core::Result<std::vector<net::protocol::DeliverySummary>>> list(
      DeliveryFilter filter) = 0;
  // action "retry" or "drop" (delivery_id), "purge" (tunnel, state).
  virtual boost::asio::awaitable<core::Result<DeliveryOutcome>> command(std::string action,
                                                                        std::string delivery_id,
                                                                        std::string tunnel,
                                                                        std::string state) = 0;
};

}  // namespace relay::inspect
