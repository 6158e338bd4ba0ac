#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional/optional.hpp>
#include <boost/system/error_code.hpp>

#include "relay/core/headers.hpp"

namespace relay::edge {

// What the edge adds to a proxied request (relay/1 step 5).
struct ForwardContext {
  std::string_view scheme;  // "http" or "https", as the public request arrived
  std::string_view tunnel;
  std::string_view request_id;
  std::string_view remote_addr;  // "ip:port", or "ip" decided from a trusted proxy's chain
};

// An HTTP/1.1 request head → the HTTP/2 header block of its stream: pseudo-headers first, then
// the fields in lower case without hop-by-hop fields (and those named by Connection), Host
// (now :authority, see request_authority) and Expect (the edge answers 100-continue itself).
// Fields a caller could use to spoof the edge's own (relay-tunnel, ..., and the client-address
// fields X-Forwarded-For, X-Real-IP, Forwarded) are dropped before the edge adds its values.
// Pure; nullopt-free: the caller has already refused what HTTP/2 cannot carry (see
// request_target_error).
core::Headers make_stream_headers(const boost::beast::http::request_header<>& request,
                                  const ForwardContext& context);

// Empty when the request can be forwarded; otherwise why not (→ 400), for a user.
std::string request_target_error(const boost::beast::http::request_header<>& request);

// Why a parsed request head must not be proxied, and the status to answer with (400, or 501
// for a transfer coding relay does not decode). status 0: the head is acceptable.
struct HeadRejection {
  int status = 0;
  std::string message;  // for the caller's error page
};

// The request smuggling guard (RFC 9112 §6, §3.2), run on every head before it is routed:
// Transfer-Encoding and Content-Length as net::Http1FramingCheck judges them, and the framing
// Beast's parser chose (`parser_chunked`, `parser_length`) must agree with that judgement;
// exactly one valid Host field; an absolute-form target has a usable authority. Pure.
HeadRejection check_request_head(const boost::beast::http::request_header<>& request,
                                 bool parser_chunked, boost::optional<std::uint64_t> parser_length);

// The authority the request is addressed to, for routing and :authority: an absolute-form
// target's (it wins over Host, RFC 9112 §3.2.2), else the Host field.
std::string_view request_authority(const boost::beast::http::request_header<>& request);

// Whether the caller asks to keep the connection (HTTP/1.1 unless "Connection: close",
// HTTP/1.0 only with "Connection: keep-alive"): Beast's request.keep_alive(), cheaper.
bool keeps_alive(const boost::beast::http::request_header<>& request);

// An HTTP/1.1 request that waits for "100 Continue" before sending its body.
bool expects_continue(const boost::beast::http::request_header<>& request);

// A body Beast could not parse (a bad chunk size, chunk data longer than its size), as opposed
// to a caller that went away mid-body: the first gets a 400, the second nobody to answer.
bool is_malformed_body(const boost::system::error_code& ec);

// The path part of the target ("/a?b" from "http://host/a?b").
std::string_view origin_form(std::string_view target);

}  // namespace relay::edge
