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

// Waits until a new connection to a TLS port is readable, before any TLS state exists for it:
// an SSL object and its buffers cost 80-90 KB, a socket waiting for readability a few hundred
// bytes. Caps pending handshakes per client address and in total, and bounds the wait by the
// handshake deadline. nullopt: the connection is closed (over a cap, silent, or stop()).
boost::asio::awaitable<std::optional<PendingHandshake>> await_first_bytes(
    std::shared_ptr<EdgeState> state, TaskTracker& tracker, boost::asio::ip::tcp::socket& socket,
    const boost::asio::ip::address& peer);

// What serves a connection once it has sent its first bytes.
using ServeReady = std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket socket,
                                                              PendingHandshake pending)>;

// Accept-side wrapper for a TLS port: a small coroutine waits for the first bytes (above), and
// only then calls `serve`, whose frame (several KiB: TLS stream, parser, buffers) thus exists
// only for connections that speak. A caller that closed without a byte gets nothing at all.
// The small frames are also what is left between the reactor's pooled descriptor states after
// a burst, so the heap can be given back (memory_trim.hpp).
boost::asio::awaitable<void> serve_after_first_bytes(std::shared_ptr<EdgeState> state,
                                                     TaskTracker& tracker,
                                                     boost::asio::ip::tcp::socket socket,
                                                     ServeReady serve);

}  // namespace relay::edge
