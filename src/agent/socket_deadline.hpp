#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace relay::agent {

// Closes a socket when a deadline passes, unless destroyed first: a timeout for a sequence of
// operations (TLS handshake, upgrade request) that does not rely on per-operation
// cancellation support in every layer. Any pending operation then fails, and expired() says
// why.
class SocketDeadline {
 public:
  SocketDeadline(boost::asio::ip::tcp::socket& socket, std::chrono::steady_clock::duration after)
      : state_(std::make_shared<State>(State{&socket})), timer_(socket.get_executor(), after) {
    timer_.async_wait([state = state_](const boost::system::error_code& ec) {
      if (ec || !state->armed) return;
      state->expired = true;
      boost::system::error_code ignored;
      state->socket->close(ignored);
    });
  }
  SocketDeadline(const SocketDeadline&) = delete;
  SocketDeadline& operator=(const SocketDeadline&) = delete;
  ~SocketDeadline() {
    state_->armed = false;  // the handler may already be queued: it checks this
    timer_.cancel();
  }

  [[nodiscard]] bool expired() const { return state_->expired; }

 private:
  struct State {
    boost::asio::ip::tcp::socket* socket;
    bool armed = true;
    bool expired = false;
  };
  std::shared_ptr<State> state_;
  boost::asio::steady_timer timer_;
};

}  // namespace relay::agent
