#pragma once

#include <memory>

#include <boost/asio/awaitable.hpp>

#include "edge/stream_budget.hpp"
#include "relay/core/headers.hpp"
#include "relay/core/result.hpp"
#include "relay/net/h2_session.hpp"

namespace relay::edge {

// cluster: peer link. Where StreamProxy sends a public request: the local agent's session
// (AgentSession), or the peer link to the edge that holds the tunnel (peer::PeerTarget).
class StreamTarget {
 public:
  StreamTarget() = default;
  StreamTarget(const StreamTarget&) = delete;
  StreamTarget& operator=(const StreamTarget&) = delete;
  virtual ~StreamTarget() = default;

  // A place among the streams the target allows at once, waiting a bounded time for one: an
  // invalid ticket means it stayed full (→ 503 with Retry-After).
  virtual boost::asio::awaitable<StreamBudget::Ticket> reserve_stream() = 0;
  // The same when a place is free at once, without a coroutine (a valid ticket); an invalid
  // one means: ask reserve_stream(), which waits or refuses.
  virtual StreamBudget::Ticket try_reserve_stream() { return {}; }
  // The stream keeps `headers` (see net::H2Session::open_stream()): pass them moved.
  virtual core::Result<std::shared_ptr<net::H2Stream>> open_stream(core::Headers headers,
                                                                   bool end_stream,
                                                                   net::FieldNames names) = 0;
  // Empty for the local agent; the peer edge's id when the request crosses the peer link (for
  // the caller's error pages and the log).
  [[nodiscard]] virtual std::string_view via_edge() const { return {}; }
};

}  // namespace relay::edge
