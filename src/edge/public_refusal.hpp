#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "edge/session_registry.hpp"
#include "relay/core/error_page.hpp"
#include "relay/edge/edge_options.hpp"

namespace relay::edge {

// PublicConnection's decisions, apart from its I/O: when the edge answers a public request
// itself instead of proxying it, with which page, and whether the connection survives. Pure,
// so tests/unit/edge checks them without a socket.

// Why the edge answers a public request itself.
enum class PublicRefusal {
  head_too_large,      // the head is over max_header_bytes
  body_too_large,      // Content-Length over max_body_bytes
  not_http,            // the head does not parse
  no_host,             // nothing to route by
  unknown_host,        // not NAME.<domain>
  ip_denied,           // the tunnel's ip_allow / ip_deny
  peer_unreachable,    // cluster: the tunnel is on an edge this one cannot reach
  queue_unavailable,   // cluster: Redis does not answer whether the tunnel is buffered
  tunnel_offline,      // no agent holds the name
  agent_disconnected,  // its agent is away, within the resume grace
  too_many_requests,   // the client's in-flight cap
};

// What the messages name.
struct RefusalContext {
  const EdgeLimits& limits;
  std::chrono::seconds resume_grace{0};
  std::string_view domain{};  // the router's: tunnels are NAME.<domain>
  std::string_view host{};    // the authority the request asked for
  std::string_view tunnel{};  // the name it routed to
  std::string_view detail{};  // not_http: the parser's complaint
};

struct RefusalAnswer {
  core::ErrorPage page;
  int retry_after = 0;            // seconds for a Retry-After field; 0: none
  bool keeps_connection = false;  // the connection may serve another request (when the
                                  // refused request's body is read whole)
};

RefusalAnswer refusal_answer(PublicRefusal why, const RefusalContext& context);

// The parser's head limit (Beast's is 32-bit): max_header_bytes, capped.
std::uint32_t head_limit_bytes(const EdgeLimits& limits);

// After a failed head read: nullopt when the connection simply ended (closed, reset, timed out,
// stopped) and nobody waits for an answer; else why the edge refuses the head.
std::optional<PublicRefusal> head_read_refusal(const boost::system::error_code& ec);

// Where a routed request goes once the session registry (`state`), the peer link and the
// cluster's policies were asked: a buffer policy takes it whether or not an agent is here.
enum class Destination { buffer, proxy, tunnel_offline, agent_disconnected };
Destination choose_destination(bool has_policy, bool has_target, SessionRegistry::State state);

}  // namespace relay::edge
