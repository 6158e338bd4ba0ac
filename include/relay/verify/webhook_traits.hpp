#pragma once

#include <string>

#include "relay/core/request_view.hpp"

namespace relay::verify {

// What the edge can tell about a webhook without its secret (the secret stays at the agent):
// used by durable delivery (docs/delivery.md) to route and deduplicate requests of a tunnel
// whose agent is away. Both are pure and never throw, whatever the request holds.

// True when the request looks like a provider's endpoint handshake, which only the agent can
// answer (it needs the secret, or an echo the provider checks at once): the union over the
// handshakes relay answers (handshakes.cpp) — GET with challenge / hub.challenge / crc_token,
// GET with Worldline's or Okta's verification header, POST JSON with Zoom's
// endpoint.url_validation, Slack's url_verification, or a Discord PING (type 1, with Discord's
// signature header). Queueing one would answer it wrongly, so the edge never does.
bool looks_like_handshake(const core::RequestView& request);

// The provider's event id, stable across the provider's own retries of one event
// (TokPortal-Event-Id, svix-id, webhook-id, X-GitHub-Delivery, X-Shopify-Webhook-Id,
// Linear-Delivery, ..., and Stripe's body "id" when a Stripe-Signature header is present); ""
// when the request carries none (it is then never deduplicated). At most kMaxEventIdBytes:
// a longer value is not an id any provider sends and is ignored.
std::string event_id(const core::RequestView& request);

inline constexpr std::size_t kMaxEventIdBytes = 256;

}  // namespace relay::verify
