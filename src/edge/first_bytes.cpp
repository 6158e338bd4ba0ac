#include "edge/first_bytes.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "edge/memory_trim.hpp"
#include "relay/core/log.hpp"
#include "relay/net/deadline.hpp"

namespace relay::edge {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// A place among the pending handshakes, or nullopt over a cap. Not a coroutine: what it needs
// (the log call's temporaries) stays out of the frame every waiting connection holds.
std::optional<PendingHandshake> admit(EdgeState& state, const asio::ip::address& peer) {
  // The handshake is part of getting a request head in: header_timeout bounds it too.
  const auto& limits = state.options.limits;
  PendingHandshake pending;
  pending.deadline =
      std::chrono::steady_clock::now() + std::min(limits.handshake_timeout, limits.header_timeout);
  if (state.trusted_proxies.contains(peer)) return pending;
  pending.slot = state.pending_handshakes.try_acquire(canonical_address(peer));
  if (!pending.slot) {
    // Logged at debug only: a flood would otherwise write a line per connection.
    core::log_event(*state.log, spdlog::level::debug, "too many pending handshakes; closed",
                    {{"remote", peer.to_string()}});
    return std::nullopt;
  }
  return pending;
}

}  // namespace

asio::awaitable<void> serve_after_first_bytes(std::shared_ptr<EdgeState> state,
                                              TaskTracker& tracker, tcp::socket socket,
                                              ServeReady serve) {
  const TrimOnClose trim(state->trimmer);
  boost::system::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) co_return;
  auto pending = admit(*state, peer.address());
  if (!pending) co_return;  // the socket closes with this frame
  auto close = [&socket] {
    boost::system::error_code ignored;
    socket.close(ignored);
  };
  auto tracked = tracker.add({close, close});
  net::Deadline deadline(state->executor);
  deadline.arm(pending->deadline - std::chrono::steady_clock::now(), close);
  auto [wait_ec] =
      co_await socket.async_wait(tcp::socket::wait_read, asio::as_tuple(asio::use_awaitable));
  deadline.disarm();
  if (wait_ec || !socket.is_open() || state->stopping) co_return;
  // Readable because it closed without a byte (a scanner, a burst of idle connections ending)?
  // Then no TLS state for it: 4,000 such closes made 4,000 SSL objects at once.
  char probe = 0;
  socket.receive(asio::buffer(&probe, 1), tcp::socket::message_peek, ec);
  if (ec) co_return;
  tracked.reset();  // the serving coroutine registers itself
  co_await serve(std::move(socket), std::move(*pending));
}

}  // namespace relay::edge
