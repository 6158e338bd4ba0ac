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

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<EdgeState> state, Stream stream, std::string remote,
                            asio::ip::address peer, std::optional<PendingHandshake> pending,
                            bool tls) {
  PublicConnection<Stream> connection(std::move(state), std::move(stream), std::move(remote), peer,
                                      std::move(pending), tls);
  // clang-tidy 14 reads a coroutine's suspension as a later use of the moved parameters.
  co_await connection.run();  // NOLINT(bugprone-use-after-move)
}

asio::awaitable<void> serve_public(std::shared_ptr<EdgeState> state, net::TlsContextPtr tls,
                                   tcp::socket socket, std::optional<PendingHandshake> pending) {
  net::tune_socket(socket);
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  std::string remote = ec ? "unknown" : to_string(peer);
  // Named streams, not temporaries, in the co_await expressions (a GCC 12 coroutine bug).
  if (tls) {
    SecureStream stream(PlainStream(std::move(socket)), *tls);
    co_await serve(std::move(state), std::move(stream), std::move(remote), peer.address(),
                   std::move(pending), true);
  } else {
    PlainStream stream(std::move(socket));
    co_await serve(std::move(state), std::move(stream), std::move(remote), peer.address(),
                   std::move(pending), false);
  }
}

asio::awaitable<void> serve_plain(std::shared_ptr<EdgeState> state, tcp::socket socket) {
  const TrimOnClose trim(state->trimmer);
  // Named, not temporaries, in the co_await expression (a GCC 12 coroutine bug).
  const net::TlsContextPtr plain;
  std::optional<PendingHandshake> none;
  co_await serve_public(std::move(state), plain, std::move(socket), std::move(none));
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
                          return serve_public(state, tls, std::move(ready), std::move(pending));
                        });
                  });
}

void PublicListener::close() {
  boost::system::error_code ignored;
  acceptor_->close(ignored);
}

}  // namespace relay::edge
