#pragma once

#include <boost/system/error_code.hpp>

namespace relay::net {

enum class Errc {
  stream_reset = 1,       // the peer reset the stream (RST_STREAM) or it was cancelled
  session_closed,         // the HTTP/2 connection ended before the stream finished
  ping_timeout,           // no frame from the peer for too long: the connection is dead
  protocol_error,         // the peer violated HTTP/2 (nghttp2 refused its bytes)
  refused,                // the session is going away (GOAWAY) and takes no new streams
  too_many_streams,       // the peer's SETTINGS_MAX_CONCURRENT_STREAMS is reached
  goaway,                 // a GOAWAY with an error code (sent or received) ended the session
};

const boost::system::error_category& net_category();

inline boost::system::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), net_category()};
}

}  // namespace relay::net

template <>
struct boost::system::is_error_code_enum<relay::net::Errc> : std::true_type {};
