#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "edge/task_tracker.hpp"
#include "relay/net/deadline.hpp"
#include "relay/net/tls.hpp"

namespace relay::edge {

struct EdgeState;

// A connection accepted on one of the edge's TLS listeners (agents, peers), after the opening
// they share: socket options, the caller's address, a deadline that closes the socket, tracking
// for the edge's shutdown, the TLS handshake.
struct TlsOpening {
  net::TlsStream stream;
  std::optional<boost::asio::ip::tcp::endpoint>
      remote_endpoint;          // unset if the socket could not tell
  std::string remote;           // "address:port" or "unknown", for logs
  TaskTracker::Handle tracked;  // closes the socket when the edge stops; replace it once serving
  // Still armed: it also bounds what the listener reads next (connect request, peer proof);
  // the listener disarms it when its own opening is done.
  std::unique_ptr<net::Deadline> deadline;
};

// nullopt when the handshake fails or `timeout` passes first (logged at debug level as
// "<what> TLS handshake failed").
boost::asio::awaitable<std::optional<TlsOpening>> open_tls(
    EdgeState& state, boost::asio::ssl::context& tls, boost::asio::ip::tcp::socket socket,
    std::chrono::steady_clock::duration timeout, std::string_view what);

}  // namespace relay::edge
