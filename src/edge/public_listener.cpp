#include "edge/public_listener.hpp"

#include <boost/asio/use_awaitable.hpp>

#include "edge/first_bytes.hpp"
#include "edge/listen_socket.hpp"
#include "edge/memory_trim.hpp"
#include "edge/public_connection.hpp"
#include "relay/net/socket_options.hpp"

namespace relay::edge {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Who is on the other end, for the log and the IP rules.
struct Peer {
  std::string remote;
  asio::ip::address address;
};
Peer peer_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  return {ec ? "unknown" : to_string(endpoint), endpoint.address()};
}

// One coroutine per connection holds the connection itself, for as long as it is open. A chain
// of three (the plain entry, a common one choosing the stream, one holding the connection) kept
// ~2 KiB of frames per connection alive, the middle one with a moved-from stream of each kind.
asio::awaitable<void> serve_plain(std::shared_ptr<EdgeState> state, tcp::socket socket) {
  const TrimOnClose trim(state->trimmer);
  net::tune_socket(socket);
  auto peer = peer_of(socket);
  PublicConnection<PlainStream> connection(std::move(state), PlainStream(std::move(socket)),
                                           std::move(peer.remote), peer.address, std::nullopt,
                                           false);
  co_await connection.run();  // NOLINT(bugprone-use-after-move): as in serve_tls
}

asio::awaitable<void> serve_tls(std::shared_ptr<EdgeState> state, net::TlsContextPtr tls,
                                tcp::socket socket, PendingHandshake pending) {
  net::tune_socket(socket);
  auto peer = peer_of(socket);
  PublicConnection<SecureStream> connection(
      std::move(state), SecureStream(PlainStream(std::move(socket)), *tls), std::move(peer.remote),
      peer.address, std::move(pending), true);
  // clang-tidy 14 reads a coroutine's suspension as a later use of the moved parameters.
  co_await connection.run();  // NOLINT(bugprone-use-after-move)
}

}  // namespace

PublicListener::PublicListener(std::shared_ptr<EdgeState> state, const tcp::endpoint& endpoint,
                               net::TlsContextPtr tls)
    : state_(std::move(state)), tls_(std::move(tls)) {
  acceptor_ = open_acceptor(state_->executor, endpoint, tls_ ? "--listen-tls" : "--listen");
  endpoint_ = acceptor_->local_endpoint();
}

void PublicListener::start() {
  start_accepting(acceptor_, state_->log, "public",
                  [state = state_, tls = tls_](tcp::socket socket) -> asio::awaitable<void> {
                    if (!tls) return serve_plain(state, std::move(socket));
                    // HTTPS: no TLS state until the caller has sent something.
                    return serve_after_first_bytes(
                        state, state->public_connections, std::move(socket),
                        [state, tls](tcp::socket ready, PendingHandshake pending) {
                          return serve_tls(state, tls, std::move(ready), std::move(pending));
                        });
                  });
}

void PublicListener::close() {
  boost::system::error_code ignored;
  acceptor_->close(ignored);
}

}  // namespace relay::edge
