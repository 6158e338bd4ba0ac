#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "edge/buffered_exchange.hpp"
#include "relay/core/buffer_policy.hpp"

namespace relay::edge {

// The decisions of the public side of a buffered tunnel (docs/delivery.md), pure so that every
// case is unit-tested without sockets; buffered_accept.cpp does the I/O around them.

// What the edge does with one request of a tunnel that has a buffer policy.
enum class BufferedStep {
  stream_live,       // the body is over buffer_max_body and the agent is here: as unbuffered
  refuse_too_large,  // over buffer_max_body and no agent: 413, it cannot be queued
  answer_duplicate,  // its event id was seen within the dedupe window: 2xx, not stored or sent
  go_live,           // send it to the agent now; judge_live_answer() says what then
  queue,             // append, then the queued answer
  refuse_handshake,  // a handshake and no agent to answer it: 503 + Retry-After
};

struct BufferedSituation {
  core::BufferMode mode = core::BufferMode::offline;
  bool session_live = false;  // a connected, attached agent session holds the name
  bool body_fits = true;      // the whole body within limits.buffer_max_body
  bool handshake = false;     // verify::looks_like_handshake
  bool duplicate = false;     // DeliveryQueue::find_event found the event id within the window
};

// Size first (nothing else is known of a body that is not read), then dedupe, then the mode:
// a handshake goes live or is refused, never queued; `always` queues everything else; `offline`
// goes live when it can and queues when the agent is away.
BufferedStep decide(const BufferedSituation& situation);

// The agent's answer to a request sent live (failure: none when it answered).
struct LiveAnswer {
  ExchangeFailure failure = ExchangeFailure::none;
  int status = 0;
  std::string_view relay_error_code;  // Relay-Error-Code of the answer, "" for the app's own
};

// True when the app could not take the request: no answer at all, 502/503/504, or the agent's
// RELAY_UPSTREAM_* (refused, timeout, failed). Anything else is the app's own answer.
bool app_unavailable(const LiveAnswer& answer);

enum class LiveVerdict {
  pass_through,      // the app's answer goes to the caller
  queue,             // discarded; the request is appended → queued answer
  refuse_handshake,  // a handshake that got no answer: 503 + Retry-After
};
// offline mode's live try. A handshake is never queued: an answer (even the agent's 502 page)
// passes through, none at all is a 503.
LiveVerdict judge_live_answer(const LiveAnswer& answer, bool handshake);

// A 2xx the app gave live to a request with an event id: its id counts for dedupe from now on.
bool remember_live_event(int status, std::string_view event_id);

// Why a request was queued, for the info log line.
std::string_view queue_reason(core::BufferMode mode, bool session_live);

// The queued (or duplicate) answer: `status` (the policy's, a 2xx), Content-Type JSON,
// Relay-Delivery-Id, body {"queued":true,"delivery_id":"<id>"[,"duplicate":true]}.
std::string render_queued_answer(int status, std::string_view delivery_id, bool duplicate,
                                 bool keep_alive, bool head_request);

// The Retry-After of the buffered tunnel's 503s (queue full or unavailable, handshake with no
// agent): long enough for a provider's retry not to hammer, short enough to catch the agent.
inline constexpr int kBufferedRetryAfterSeconds = 30;

}  // namespace relay::edge
