#pragma once

#include <string>
#include <string_view>

namespace relay::core {

// Header on every response that relay itself generates. Stripped from upstream responses, so a
// caller can trust it: present means relay answered, not the app.
inline constexpr std::string_view kRelayErrorCodeHeader = "relay-error-code";

// Stable codes a public caller may see (documented in docs/errors.md).
namespace error_codes {
inline constexpr std::string_view tunnel_not_found = "RELAY_TUNNEL_NOT_FOUND";
inline constexpr std::string_view agent_session_lost = "RELAY_AGENT_SESSION_LOST";
inline constexpr std::string_view upstream_refused = "RELAY_UPSTREAM_REFUSED";
inline constexpr std::string_view upstream_timeout = "RELAY_UPSTREAM_TIMEOUT";
inline constexpr std::string_view upstream_failed = "RELAY_UPSTREAM_FAILED";
inline constexpr std::string_view body_too_large = "RELAY_BODY_TOO_LARGE";
inline constexpr std::string_view headers_too_large = "RELAY_HEADERS_TOO_LARGE";
inline constexpr std::string_view bad_request = "RELAY_BAD_REQUEST";
inline constexpr std::string_view request_timeout = "RELAY_REQUEST_TIMEOUT";
inline constexpr std::string_view signature_invalid = "RELAY_WEBHOOK_SIGNATURE_INVALID";
inline constexpr std::string_view shutting_down = "RELAY_SHUTTING_DOWN";
// public-limits
inline constexpr std::string_view too_many_connections = "RELAY_TOO_MANY_CONNECTIONS";
inline constexpr std::string_view too_many_requests = "RELAY_TOO_MANY_REQUESTS";
inline constexpr std::string_view tunnel_busy = "RELAY_TUNNEL_BUSY";
// durable delivery (accept): a buffered tunnel's request that could not be stored, or a
// provider handshake while its agent is away (docs/delivery.md). All with Retry-After.
inline constexpr std::string_view queue_full = "RELAY_QUEUE_FULL";
inline constexpr std::string_view queue_unavailable = "RELAY_QUEUE_UNAVAILABLE";
inline constexpr std::string_view handshake_unavailable = "RELAY_HANDSHAKE_UNAVAILABLE";
// durable delivery (agent): a delivery stream whose relay-received-at or attempt is malformed
inline constexpr std::string_view bad_delivery = "RELAY_BAD_DELIVERY";
// operations: the tunnel's ip_allow / ip_deny refused the client's address
inline constexpr std::string_view ip_denied = "RELAY_IP_DENIED";
}  // namespace error_codes

struct ErrorPage {
  int status;
  std::string_view code;  // one of error_codes
  std::string message;    // what happened and what to do, one or two sentences
};

struct RenderedPage {
  std::string content_type;
  std::string body;
};

// JSON ({"error":{"code","status","message"}}) when the caller prefers application/json,
// a small HTML page when it accepts text/html (a browser), plain text otherwise.
RenderedPage render_error_page(const ErrorPage& page, std::string_view accept_header);

std::string_view reason_phrase(int status);

}  // namespace relay::core
