#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "agent/capturing_stream.hpp"
#include "agent/delivery_headers.hpp"
#include "relay/core/headers.hpp"
#include "relay/inspect/capture.hpp"
#include "relay/verify/verdict.hpp"

namespace relay::agent {

struct TunnelRuntime;

// One public request travelling through the agent's pipeline: the stream it came on (from the
// edge, or a replay; seen through the capture) and what the steps learned about it.
struct Exchange {
  std::optional<CapturingStream> stream;  // always set; optional only to construct it in place
  std::shared_ptr<TunnelRuntime> tunnel;
  // The request line and its origin, views of the stream's fields (a replay's: of the request it
  // replays, which outlives the exchange): a copy each was an allocation per request for the
  // longer ones.
  std::string_view method;
  std::string_view path;
  std::string_view authority;
  std::string_view scheme;
  std::string_view request_id;
  // The client address the edge decided (relay-remote-addr), a view of the stream's fields.
  // `fields_read`: serve_request read these and the fields above in its pass over the stream's
  // fields (request_facts), and found no Connection field: the forwarder needs no pass of its
  // own (ForwardStep). Unset for a replay.
  std::optional<std::string_view> remote_addr;
  bool fields_read = false;
  // Content-Length as core::Headers::content_length reads it, found in the same pass (with
  // `fields_read`).
  std::optional<std::uint64_t> content_length;
  std::chrono::steady_clock::time_point started;

  // A step that needs the whole body (verification) reads it here; the forwarder then sends
  // this instead of reading the stream.
  std::string body;
  bool body_buffered = false;

  int status = 0;               // what the caller got; 0 while nothing was sent
  std::string_view relay_code;  // set when relay generated the answer
  std::string detail;           // for the log line (why it failed)

  std::optional<verify::Verdict> verdict;  // set by the verify step when it checked a signature
  bool duplicate = false;  // the verify step saw the provider's event id before (a redelivery)
  // The inspector's record of this exchange (CaptureStep), filled as bytes pass; unset when the
  // inspector is off. On the heap: inline it doubled the Exchange, and the Exchange lives in
  // serve_request's coroutine frame, which Asio recycles only up to ~1 KB (a larger one is a
  // fresh malloc per request that also consolidates malloc's fast bins).
  std::unique_ptr<inspect::Capture> capture;
  std::string capture_id;  // the capture's id, kept once the capture went to the store
  std::string replay_of;   // a replay: the capture it replays

  // A queued delivery from the edge (relay-delivery-id); unset for a live request.
  std::optional<DeliveryInfo> delivery;
  // The request's fields with fresh signature headers (buffer_resign), once the verify step
  // re-signed a delivery; what the app then gets instead of the stream's.
  std::optional<core::Headers> resigned_headers;

  [[nodiscard]] const core::Headers& headers() const {
    return resigned_headers ? *resigned_headers : stream->headers();
  }
  [[nodiscard]] std::string url() const;
};

// Reads the whole request body into `exchange.body`, up to `limit` bytes. false when the
// body is over the limit (`exchange.body` then holds a prefix) or the stream failed (`ec`).
boost::asio::awaitable<bool> buffer_body(Exchange& exchange, std::size_t limit,
                                         core::error_code& ec);

// Answers with a page relay generated (HTML, JSON or text after the request's Accept), with
// relay-error-code set. Ignores a stream that is already gone.
boost::asio::awaitable<void> respond_error(Exchange& exchange, int status, std::string_view code,
                                           std::string message);

// Answers with a body relay built itself (a handshake reply, a JSON error).
boost::asio::awaitable<void> respond_with(Exchange& exchange, int status, core::Headers headers,
                                          std::string body);

}  // namespace relay::agent
