#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "relay/core/headers.hpp"

namespace relay::edge {

// The header block of a stream that delivers a queued request (docs/protocol.md, "Delivery
// streams"): the stored block as the edge built it for the agent, in its order, with a fresh
// relay-request-id in place of the stored one (each attempt is its own request in the agent's
// log and inspector), then relay-delivery-id, relay-received-at and relay-delivery-attempt.
// Any relay-delivery-* already in the stored block is dropped: only the edge sets them.
struct DeliveryStamp {
  std::string_view request_id;
  std::string_view delivery_id;
  std::int64_t received_at_ms = 0;
  int attempt = 1;  // 1-based
};
core::Headers make_delivery_headers(const core::Headers& stored, const DeliveryStamp& stamp);

// Unix ms → RFC 3339 UTC with milliseconds: "2026-12-06T10:15:30.123Z".
std::string format_rfc3339_ms(std::int64_t unix_ms);

}  // namespace relay::edge
