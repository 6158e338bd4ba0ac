#include "edge/public_listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "edge/listen_socket.hpp"
#include "edge/public_connection.hpp"
#include "relay/net/socket_options.hpp"

namespace relay::edge {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<EdgeState> state, Stream stream, std::string remote,
                            bool tls) {
  PublicConnection<Stream> connection(std::move(state), std::move(stream), std::move(remote), tls);
  co_await connection.run();
}

}  // namespace

PublicListener::PublicListener(std::shared_ptr<EdgeState> state, const tcp::endpoint& endpoint,
                               net::TlsContextPtr tls)
    : state_(std::move(state)), tls_(std::move(tls)) {
  acceptor_ = open_acceptor(state_->executor, endpoint, tls_ ? "--listen-tls" : "--listen");
  endpoint_ = acceptor_->local_endpoint();
}

void PublicListener::start() {
  asio::co_spawn(state_->executor, accept_loop(), [log = state_->log](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log->error("public listener stopped: {}", ex.what());
    }
  });
}

void PublicListener::close() {
  boost::system::error_code ignored;
  acceptor_->close(ignored);
}

asio::awaitable<void> PublicListener::accept_loop() {
  auto acceptor = acceptor_;  // the coroutine may outlive this listener object
  auto state = state_;
  auto tls = tls_;
  asio::steady_timer pause(state->executor);
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(kAwaitable);
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;  // close()
    if (ec) {  // EMFILE and friends: keep serving once descriptors free up
      state->log->warn("public accept failed: {}", ec.message());
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(kAwaitable);
      continue;
    }
    net::tune_socket(socket);
    boost::system::error_code rec;
    auto peer = socket.remote_endpoint(rec);
    std::string remote = rec ? "unknown" : to_string(peer);
    auto on_done = [log = state->log](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log->error("public connection failed: {}", ex.what());
      }
    };
    if (tls) {
      SecureStream stream(PlainStream(std::move(socket)), *tls);
      asio::co_spawn(state->executor, serve(state, std::move(stream), std::move(remote), true),
                     on_done);
    } else {
      asio::co_spawn(state->executor,
                     serve(state, PlainStream(std::move(socket)), std::move(remote), false),
                     on_done);
    }
  }
}

}  // namespace relay::edge
