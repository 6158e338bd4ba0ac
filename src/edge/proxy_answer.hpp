#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "relay/core/error_page.hpp"
#include "relay/edge/edge_options.hpp"

namespace relay::edge {

// StreamProxy's decisions, apart from its I/O: which answer relay gives the caller when the
// app's cannot come, and how big the upload buffer is. Pure, so tests/unit/edge checks them
// without a socket; StreamProxy only reads, writes and calls these.

// Why the upload of a request body to the agent stopped before its end.
enum class UploadError { none, too_large, malformed, caller_gone, too_slow };

// What a failed body read means: `ec` from Beast's body read, `rate_too_slow` the
// BodyRateGuard's verdict (its timer closes the socket, so `ec` alone says "caller gone").
UploadError classify_upload_error(const boost::system::error_code& ec, bool rate_too_slow);

// Who serves the tunnel, for messages: "the agent for tunnel 'x'", or (cluster: peer link) the
// peer edge `via_edge` that holds it.
std::string holder_description(std::string_view via_edge, std::string_view tunnel);

// Every stream the agent allows is taken and none freed within the wait: 503, come back later.
core::ErrorPage busy_page(std::string_view tunnel);

// The agent's session could not open a stream (`ec` from open_stream): a refused one is a
// session going away (503, retry), anything else a lost session (502).
core::ErrorPage open_failure_page(const boost::system::error_code& ec, std::string_view tunnel,
                                  std::string_view holder);

// What stopped a stream before the app's response head came.
struct StreamFailure {
  UploadError upload = UploadError::none;
  bool timed_out = false;                  // response_timeout passed after the upload
  boost::system::error_code stream_error;  // H2Stream::wait_headers's
};

// The answer for that failure. The caller's own failures come first (it gets told what it did
// wrong, not that the stream died of it), then the timeout, then the agent's. nullopt: the
// caller went away mid-upload, so nobody is left to answer.
std::optional<core::ErrorPage> failure_page(const StreamFailure& failure, const EdgeLimits& limits,
                                            std::string_view tunnel, std::string_view holder);

// The response head arrived but its body was cut before any byte reached the caller.
core::ErrorPage response_cut_page(std::string_view holder);

// The agent's own error code from its relay-error-code header (upstream refused, ...), for the
// log line; empty for a value the edge does not know (an app could send anything).
std::string_view known_agent_error(std::string_view header_value);

// Upload buffer bytes: the body's length when known (a webhook is a few KiB), else one chunk.
inline constexpr std::size_t kUploadChunk = 64 * 1024;
std::size_t upload_buffer_size(std::optional<std::uint64_t> content_length);

}  // namespace relay::edge
