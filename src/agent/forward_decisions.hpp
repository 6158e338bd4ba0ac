#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/fields.hpp>

#include "agent/header_mapping.hpp"
#include "agent/outgoing_request.hpp"
#include "relay/agent/upstream_address.hpp"
#include "relay/core/failure.hpp"
#include "relay/core/result.hpp"
#include "relay/net/http1_framing.hpp"

namespace relay::agent {

// What ForwardStep decides, without I/O (pure functions, unit-tested on their own): what to
// send the app, how to read what went wrong, and what the caller then gets. The coroutines in
// forward_step.cpp and upstream_exchange.cpp only move bytes and call these.

// Request and response bodies move in pieces of up to this size; a request body of known
// length up to it is gathered whole before the first write (see forward_step.cpp).
constexpr std::size_t kForwardChunk = 64 * 1024;

// Where an exchange with the app failed, which decides what the caller gets.
struct UpstreamFailure {
  enum class Where {
    none,                      // no failure
    caller,                    // the edge or the public caller went away
    upstream_before_response,  // the connection failed before the app answered
    upstream_timeout,          // the app took longer than upstream_response_timeout
    upstream_invalid,          // the app's response head or body cannot be forwarded safely
    upstream_after_response    // the app's answer broke off after its head was passed on
  };
  Where where = Where::none;
  core::error_code ec;
  std::string why;  // for upstream_invalid: what is wrong with the response
};

// --- What to send -------------------------------------------------------------------------

// A body of known length this small is read whole before the request is built (a webhook's).
[[nodiscard]] bool gathers_whole_body(std::optional<std::uint64_t> content_length);

// The request can be sent again on a fresh connection: no body byte was consumed from the
// caller that is not held here.
[[nodiscard]] bool is_replayable(bool body_buffered, bool whole_body_here, BodyFraming framing,
                                 std::string_view prefix);

// The first write: the head, then the whole buffered body (and its end) or the body bytes read
// before the head was built. True when that is the whole request.
bool begin_request(OutgoingRequest& out, const UpstreamRequestHead& head,
                   std::optional<std::string_view> buffered_body, std::string_view prefix);

// A kept-alive connection the app closed while we picked it: retry once on a fresh one.
[[nodiscard]] bool retry_on_fresh_connection(bool reused, int attempt, bool replayable,
                                             const UpstreamFailure& failure);

// --- How to read the app's answer, or its failure -----------------------------------------

[[nodiscard]] bool is_timeout(const core::error_code& ec);
// Beast refused what the app sent (bad Content-Length, bad chunk...), as opposed to the
// connection ending or failing: not retryable, and the app's fault.
[[nodiscard]] bool is_malformed(const core::error_code& ec);

// Writing the request failed.
[[nodiscard]] UpstreamFailure write_failure(const core::error_code& ec);
// Reading the response head failed.
[[nodiscard]] UpstreamFailure head_failure(const core::error_code& ec);
// Reading the response body failed; `head_sent`: the caller has the status already.
[[nodiscard]] UpstreamFailure body_failure(const core::error_code& ec, bool head_sent);

// An interim response (100 Continue, 103) to skip; 101 is final.
[[nodiscard]] bool is_interim(unsigned status);

// The smuggling rules of the edge, on the app's side: a framing Beast would read one way and a
// cache or the caller another. The reason when the response must be refused (502).
[[nodiscard]] std::optional<std::string> response_framing_problem(
    const boost::beast::http::fields& fields, unsigned version, bool chunked,
    std::optional<std::uint64_t> content_length);
// The same from a check already fed the head's framing fields (the agent's ResponseHeadParser
// feeds its own as it parses them).
[[nodiscard]] std::optional<std::string> response_framing_problem(
    const net::Http1FramingCheck& framing_fields, unsigned version, bool chunked,
    std::optional<std::uint64_t> content_length);

// The response body buffer: sized to a known length (not zero-filled: a 64 KiB memset per
// response was a third of the agent's instructions for a small webhook answer).
[[nodiscard]] std::size_t response_buffer_size(std::optional<std::uint64_t> content_length);

// --- What the caller gets -----------------------------------------------------------------

struct ForwardReport {
  enum class Action {
    none,          // the exchange succeeded
    error_page,    // answer with relay's page: status, code, message
    reset_stream,  // nobody to answer, or the head is gone already: reset with h2_error
  };
  Action action = Action::none;
  int status = 0;
  std::string_view code;  // relay-error-code
  std::string message;    // what the caller reads
  std::string detail;     // the log line's error
  std::uint32_t h2_error = 0;
};

// The pool could not give a connection to the app (the failure's message says what was tried,
// its code whether the app refused or did not answer in time).
[[nodiscard]] ForwardReport report_connect_failure(const core::Failure& failure,
                                                   const UpstreamAddress& upstream,
                                                   std::chrono::seconds connect_timeout);
// The exchange with the app failed.
[[nodiscard]] ForwardReport report_failure(const UpstreamFailure& failure,
                                           const UpstreamAddress& upstream,
                                           std::chrono::seconds response_timeout,
                                           std::string_view method, std::string_view path);

}  // namespace relay::agent
