#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "relay/core/clock.hpp"
#include "relay/core/headers.hpp"
#include "relay/verify/verdict.hpp"

namespace relay::inspect {

// The first `limit` bytes of a body, and how big the whole body was. Capturing never alters
// delivery: the pipeline forwards every byte and appends a copy here, which stops at the limit.
struct CapturedBody {
  std::string data;
  std::size_t size = 0;  // bytes seen on the wire, >= data.size()
  bool truncated = false;

  void append(std::string_view chunk, std::size_t limit);
  // Whole bodies (verified tunnels buffer theirs).
  void assign(std::string_view body, std::size_t limit) {
    *this = {};
    append(body, limit);
  }
};

// One request through a tunnel and what came back: what the inspector lists and replays.
// Filled by the agent's pipeline: the capture step at the start (status 0 while in flight),
// then again when the response (or an error) is known.
struct Capture {
  std::string id;  // CaptureStore::make_id()
  std::string tunnel;
  core::Clock::time_point start{};
  std::chrono::microseconds duration{0};
  std::string remote_addr;  // the provider's address as the edge saw it ("203.0.113.7")
  std::string public_url;   // the tunnel's public base URL ("https://abc.relay.example.com")

  std::string method;
  std::string url;  // path and query, as received ("/hooks/tiktok?x=1")
  std::string proto = "HTTP/1.1";
  core::Headers request_headers;
  CapturedBody request_body;

  int status = 0;  // 0: no response yet (in flight, or failed before one)
  core::Headers response_headers;
  CapturedBody response_body;

  std::optional<verify::Verdict> verdict;  // nullopt: the tunnel does not verify
  bool duplicate = false;                  // the provider's event id was seen before (a redelivery)
  bool replay = false;                     // made by the inspector's Replay
  std::string replay_of;                   // the capture it replays
  std::string delivery_id;   // a queued delivery from the edge (relay-delivery-id), "" live
  int delivery_attempt = 0;  // its attempt (1, 2, ...), 0 live
  std::string error_code;    // a core::error_codes value when relay answered, e.g. upstream refused
  std::string error;         // what happened, for humans ("connection refused by localhost:3000")

  [[nodiscard]] bool complete() const { return status != 0 || !error_code.empty(); }
  // Bytes this capture holds in memory (bodies, headers, the object), for the store's byte cap.
  [[nodiscard]] std::size_t cost() const;
};

}  // namespace relay::inspect
