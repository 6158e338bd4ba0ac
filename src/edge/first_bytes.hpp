#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "edge/edge_state.hpp"
#include "edge/per_ip_counter.hpp"

namespace relay::edge {

// A connection to a TLS port that has sent its first bytes in time, still counted as a
// pending handshake until `slot` is released (the caller releases it once the handshake is
// done). `deadline` is when the handshake must be complete.
struct PendingHandshake {
  std::optional<PerIpCounter::Slot> slot;  // empty for a trusted proxy (not counted)
  std::chrono::steady_clock::time_point deadline;
};

// What serves a connection once it has sent its first bytes.
using ServeReady = std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket socket,
                                                              PendingHandshake pending)>;

// Accept-side wrapper for a TLS port. A small coroutine waits until the connection is readable,
// before any TLS state exists for it (an SSL object and its buffers cost 80-90 KB, a waiting
// socket under 3 KiB); caps pending handshakes per client address and in total (beyond them
// the connection is closed at once); bounds the wait by the handshake deadline. Only then it
// calls `serve`, whose frame (several KiB: TLS stream, parser, buffers) thus exists
// only for connections that speak. A caller that closed without a byte gets nothing at all.
boost::asio::awaitable<void> serve_after_first_bytes(std::shared_ptr<EdgeState> state,
                                                     TaskTracker& tracker,
                                                     boost::asio::ip::tcp::socket socket,
                                                     ServeReady serve);

}  // namespace relay::edge
