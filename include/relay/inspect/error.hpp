#pragma once

#include <boost/system/error_code.hpp>

namespace relay::inspect {

// Why an inspector operation (replay, tunnel start/stop) was refused. The messages are for the
// user: the API returns them in its JSON error, with the HTTP status of http_status().
// The agent's Replayer and TunnelDirectory return these codes (or their own, which map to 502).
enum class Errc {
  capture_not_found = 1,  // 404
  tunnel_not_found,       // 404
  tunnel_exists,          // 409
  invalid_tunnel,         // 400: bad name, addr or proto
  capture_truncated,      // 409: the body was cut at the capture limit, so it cannot be replayed
  capture_incomplete,     // 409: the request is still in flight
  resign_unavailable,     // 422: the tunnel has no signing secret (or the provider is asymmetric)
  replay_failed,          // 502: the pipeline could not deliver the replay
  unavailable,            // 503: the agent is shutting down or not connected
  invalid_modifications,  // 400: a replay's method, path or header cannot be sent as HTTP
  // durable delivery (/api/deliveries)
  no_session,                // 503: no session with the edge, which holds the queue
  edge_timeout,              // 504: the edge did not answer a queue request in time
  delivery_not_found,        // 404
  invalid_delivery_request,  // 400: bad state, limit or action
  queue_unavailable,         // 503: the edge's queue store failed
};

const boost::system::error_category& inspect_category();

inline boost::system::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), inspect_category()};
}

// The HTTP status the API answers with for `ec` (502 for codes of other categories).
int http_status(const boost::system::error_code& ec);

}  // namespace relay::inspect

template <>
struct boost::system::is_error_code_enum<relay::inspect::Errc> : std::true_type {};
