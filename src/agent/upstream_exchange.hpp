#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "agent/exchange.hpp"
#include "agent/forward_decisions.hpp"
#include "agent/upstream_connection.hpp"
#include "relay/agent/agent_options.hpp"

namespace relay::agent {

struct UpstreamOutcome {
  UpstreamFailure failure;  // where == none: the app's whole answer went to the caller
  bool keep_alive = false;  // the connection may serve another request
};

// One request/response exchange with the app on `connection` (thin I/O; the decisions are in
// forward_decisions.hpp): the head and the first body bytes (or all of a buffered body) go up
// in one write, the rest of the body as it arrives; the response head (interim 1xx skipped)
// and body come back to the caller, each direction under backpressure. `prefix`: body bytes
// read before `head` was built.
boost::asio::awaitable<UpstreamOutcome> exchange_with_upstream(UpstreamConnection& connection,
                                                               Exchange& exchange,
                                                               const UpstreamRequestHead& head,
                                                               std::string_view prefix,
                                                               const AgentLimits& limits);

}  // namespace relay::agent
