#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "agent/edge_dialer.hpp"
#include "relay/net/tls.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::agent {

// relay/1 step 2: `POST /_relay/v1/connect` with the authtoken and the tunnels, over HTTP/1.1,
// expecting 101. On 101 returns the bytes that came after the response head (the start of
// HTTP/2); otherwise the failure: 401/403 → authentication failed, 409 → name taken,
// 400 → rejected (all permanent), 429 → retry after the edge's Retry-After, anything else →
// retry.
boost::asio::awaitable<DialResult<std::string>> connect_handshake(
    net::TlsStream& stream, const std::string& host, const std::string& authtoken,
    const net::protocol::ConnectRequest& request);

// The failure for a non-101 answer (pure, unit-tested): `body` is the edge's JSON error body,
// `retry_after` its Retry-After header (delay-seconds), if any.
DialFailure classify_connect_refusal(int status, std::string_view body,
                                     std::string_view retry_after = {});

}  // namespace relay::agent
