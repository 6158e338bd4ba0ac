#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "relay/core/clock.hpp"
#include "relay/core/headers.hpp"
#include "relay/inspect/capture.hpp"

namespace relay::inspect::detail {

// The API shape: ngrok's request object (uri, id, tunnel_name, remote_addr, start, duration in
// ns, request/response with headers {Name: [values]} and raw as base64), plus relay's extras:
// request/response `body` (base64 of the captured bytes), `body_size`, `truncated`, and a
// `relay` object (verdict, replay, duplicate, error...). `response` is null while in flight.
nlohmann::json to_api_json(const Capture& capture);

// The SQLite row's document: every field, bodies in base64. from_storage_json returns nullopt
// for a document it cannot read (a newer or damaged row), which the store skips.
nlohmann::json to_storage_json(const Capture& capture);
std::optional<Capture> from_storage_json(const nlohmann::json& doc);

// {"Content-Type": ["application/json"]}: names in Go's canonical form, as ngrok shows them.
nlohmann::json headers_to_json(const core::Headers& headers);
std::string canonical_header_name(std::string_view name);
std::string to_rfc3339(core::Clock::time_point t);

}  // namespace relay::inspect::detail
