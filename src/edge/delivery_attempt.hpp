#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "edge/retry_policy.hpp"
#include "relay/core/headers.hpp"

namespace relay::edge {

class AgentSession;

// One attempt at delivering a queued request: a stream of the agent's session with the stored
// request (headers already stamped, edge/delivery_headers.hpp) and its whole body, then the
// answer's status, Relay-Error-Code, Retry-After and the first bytes of its body. The stream
// takes a place in the session's StreamBudget like a live request, so deliveries wait their
// turn instead of crowding live requests out. Never throws; every failure is an AttemptAnswer
// with status 0 and a sentence saying what happened.
struct AttemptLimits {
  std::chrono::seconds response_timeout{120};  // from the request sent to the answer's head
  std::chrono::seconds stream_wait{3};         // one wait for a place in the session
};

boost::asio::awaitable<AttemptAnswer> attempt_delivery(std::shared_ptr<AgentSession> session,
                                                       const core::Headers& headers,
                                                       const std::string& body,
                                                       AttemptLimits limits);

}  // namespace relay::edge
