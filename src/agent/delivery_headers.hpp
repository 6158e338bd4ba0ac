#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "relay/core/clock.hpp"
#include "relay/core/failure.hpp"
#include "relay/core/headers.hpp"

namespace relay::agent {

// A queued delivery, as the edge marks its stream (relay-delivery-id, relay-received-at,
// relay-delivery-attempt; docs/protocol.md § delivery streams). The edge strips these fields
// from public requests, so the agent trusts them.
struct DeliveryInfo {
  std::string id;
  core::Clock::time_point received_at;  // when the edge read the whole request
  int attempt = 1;                      // 1-based
};

// RFC 3339 ("2026-12-06T10:15:30.123Z"; also without a fraction, up to 9 fraction digits, and
// with a +hh:mm / -hh:mm offset). nullopt for anything else, including impossible dates.
std::optional<core::Clock::time_point> parse_rfc3339(std::string_view text);

// nullopt: not a delivery (no relay-delivery-id). A failure: a delivery whose received-at or
// attempt is missing or malformed (the edge's bug; the agent refuses it, as it cannot judge the
// signature's freshness).
core::Fallible<std::optional<DeliveryInfo>> read_delivery_headers(const core::Headers& headers);

// `headers` with every field named in `signature` (case-insensitively) replaced by the
// signature's fields: the request a re-signed delivery carries to the app.
core::Headers replace_signature_headers(const core::Headers& headers,
                                        const core::Headers& signature);

}  // namespace relay::agent
