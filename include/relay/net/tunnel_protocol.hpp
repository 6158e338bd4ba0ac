#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "relay/core/buffer_policy.hpp"
#include "relay/core/failure.hpp"
#include "relay/core/headers.hpp"

// relay/1: the types both ends of the tunnel share (docs/protocol.md is the normative text).
// The edge and the agent never include each other; this header is what they agree on.
namespace relay::net::protocol {

inline constexpr int kVersion = 1;
inline constexpr std::string_view kAlpn = "relay/1";
inline constexpr std::string_view kConnectPath = "/_relay/v1/connect";
inline constexpr std::string_view kControlPath = "/_relay/v1/control";
inline constexpr std::string_view kUpgradeToken = "relay-h2";

// Headers the edge adds to every proxied request.
inline constexpr std::string_view kTunnelHeader = "relay-tunnel";
inline constexpr std::string_view kRequestIdHeader = "relay-request-id";
inline constexpr std::string_view kRemoteAddrHeader = "relay-remote-addr";
// Headers the edge adds to a stream that delivers a queued request (docs/delivery.md). The edge
// strips them from public requests, so the agent may trust them; the agent passes them on to
// the app. Received-at is RFC 3339 UTC with milliseconds ("2026-12-06T10:15:30.123Z"): the
// agent judges a signature's freshness against it, not against its own clock.
inline constexpr std::string_view kDeliveryIdHeader = "relay-delivery-id";
inline constexpr std::string_view kReceivedAtHeader = "relay-received-at";
inline constexpr std::string_view kDeliveryAttemptHeader = "relay-delivery-attempt";  // 1, 2, …

// HTTP/1.1 connection-specific fields, which HTTP/2 forbids and a proxy must not forward.
bool is_hop_by_hop(std::string_view lower_case_name);

struct TunnelRequest {
  std::string name;  // requested name; empty: the edge picks a random one
  std::string proto = "http";
  std::string hostname;  // full host name, for edges that allow custom domains
  // Durable delivery (JSON "buffer", absent when off). The parser checks it against
  // core::BufferPolicyBounds.
  std::optional<core::BufferPolicy> buffer;
  // IP rules (JSON "ip_allow", "ip_deny"; absent when empty): CIDR blocks or single addresses,
  // IPv4 or IPv6, at most kMaxIpRules each. The edge refuses a request from a client address
  // that matches ip_deny, or that ip_allow (when not empty) does not match: 403 RELAY_IP_DENIED.
  std::vector<std::string> ip_allow;
  std::vector<std::string> ip_deny;
};
inline constexpr std::size_t kMaxIpRules = 1024;

struct ConnectRequest {
  int version = kVersion;
  std::string agent_version;
  std::vector<TunnelRequest> tunnels;
  std::optional<std::string> resume;  // session id of a previous connection
};

struct TunnelInfo {
  std::string name;
  std::string public_url;
};

// The edge's JSON error body for 400/401/403/409: {"error":{"code","message"}}.
struct ErrorBody {
  std::string code;
  std::string message;
};

// Control stream messages (one JSON object per line).
struct SessionMessage {  // edge → agent, first message
  std::string id;
  std::vector<TunnelInfo> tunnels;
};
struct BindMessage {  // agent → edge: add tunnels to the session
  std::vector<TunnelRequest> tunnels;
};
struct UnbindMessage {  // agent → edge: remove tunnels
  std::vector<std::string> names;
};
struct BoundMessage {  // edge → agent: answer to bind
  std::vector<TunnelInfo> tunnels;
};
struct ErrorMessage {  // edge → agent: a bind failed, or any other report
  std::string code;
  std::string message;
  std::string tunnel;
};

// Durable delivery: the agent's inspector and `relay queue` see and manage the queue of the
// session's own tunnels, which lives at the edge. Each request carries an id the answer repeats.
struct DeliverySummary {
  std::string id;
  std::string tunnel;
  std::string state;  // "queued", "delivering", "delivered", "dead"
  std::string method;
  std::string path;
  std::int64_t received_at_ms = 0;  // Unix ms
  int attempts = 0;
  std::int64_t next_attempt_at_ms = 0;  // 0: none scheduled
  int last_status = 0;                  // 0: no HTTP answer (refused, timeout, …)
  std::string last_error;
  std::string event_id;  // the provider's, "" none
  std::uint64_t body_bytes = 0;
};
struct ListDeliveriesMessage {  // agent → edge
  std::string request;          // echoed in the answer
  std::string tunnel;           // "" every tunnel of the session
  std::string state;            // "" every state
  int limit = 100;              // newest first, at most 1000
};
struct DeliveriesMessage {  // edge → agent: answer to list_deliveries
  std::string request;
  std::vector<DeliverySummary> deliveries;
};
struct DeliveryCommandMessage {  // agent → edge
  std::string request;
  std::string action;       // "retry", "drop" (one delivery_id), "purge" (tunnel [, state])
  std::string delivery_id;  // retry, drop
  std::string tunnel;       // purge
  std::string state;        // purge: "" every state but delivering
};
struct DeliveryResultMessage {  // edge → agent: answer to delivery_command
  std::string request;
  std::uint64_t count = 0;  // deliveries changed
  std::string code;         // "" success; else not_found, bad_request, store_unavailable, …
  std::string message;
};

using ControlMessage = std::variant<SessionMessage, BindMessage, UnbindMessage, BoundMessage,
                                    ErrorMessage, ListDeliveriesMessage, DeliveriesMessage,
                                    DeliveryCommandMessage, DeliveryResultMessage>;

// The message, or the Failure saying what was wrong (for the peer or the log).
core::Fallible<ConnectRequest> parse_connect_request(std::string_view json);
std::string serialize(const ConnectRequest& request);

std::optional<ErrorBody> parse_error_body(std::string_view json);
std::string serialize(const ErrorBody& body);

core::Fallible<ControlMessage> parse_control_message(std::string_view line);
std::string serialize(const ControlMessage& message);  // ends with '\n'

// Tunnel names: 1-63 of [a-z0-9-], not starting or ending with '-' (a DNS label).
bool is_valid_tunnel_name(std::string_view name);

}  // namespace relay::net::protocol
