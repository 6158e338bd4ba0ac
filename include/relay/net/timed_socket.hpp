#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <utility>

#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>

#include "relay/net/deadline.hpp"

namespace relay::net {

namespace detail {

// What a TimedSocket operation needs after it started: the socket, its deadline, and how many
// operations are pending (the deadline counts only while one is).
struct TimedSocketState {
  explicit TimedSocketState(boost::asio::ip::tcp::socket s)
      : socket(std::move(s)), deadline(socket.get_executor()) {}

  void operation_started();
  void operation_ended() noexcept;
  // The deadline runs while an operation is pending and an expiry is set.
  void arm();
  void disarm() noexcept;

  boost::asio::ip::tcp::socket socket;
  Deadline deadline;
  std::chrono::steady_clock::time_point expiry = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point armed_for{};  // the expiry armed, or epoch: none
  int pending = 0;
  bool timed_out = false;  // the deadline closed the socket: operations fail with timeout
};

// Completes a read or write: the pending count drops, and an error caused by the deadline
// reads as beast::error::timeout. The handler's executor, allocator and cancellation slot
// are its own (the associator below), so the operation is dispatched as if unwrapped.
template <class Handler>
struct TimedCompletion {
  std::shared_ptr<TimedSocketState> state;  // the socket may go before a cancelled operation
  Handler handler;

  void operator()(boost::system::error_code ec, std::size_t n) {
    state->operation_ended();
    if (ec && state->timed_out) ec = boost::beast::error::timeout;
    std::move(handler)(ec, n);
  }
};

}  // namespace detail

// A TCP socket with beast::tcp_stream's timeout contract (expires_after/at/never; an operation
// pending when the expiry passes fails with beast::error::timeout and the socket is closed;
// one started after it fails at once), for the public side's reads and writes. beast's stream
// arms a timer for every operation and completes it a second time when the operation ends;
// here one lazy net::Deadline per connection is armed while operations are pending, which costs
// no timer operation unless the expiry moves earlier (bench/README.md).
class TimedSocket {
 public:
  using executor_type = boost::asio::any_io_executor;
  using socket_type = boost::asio::ip::tcp::socket;
  using lowest_layer_type = TimedSocket;  // asio::ssl::stream asks its next layer for these

  explicit TimedSocket(socket_type socket)
      : state_(std::make_shared<detail::TimedSocketState>(std::move(socket))) {}

  executor_type get_executor() noexcept { return state_->socket.get_executor(); }
  socket_type& socket() noexcept { return state_->socket; }
  TimedSocket& lowest_layer() noexcept { return *this; }

  void expires_after(std::chrono::steady_clock::duration after) {
    expires_at(std::chrono::steady_clock::now() + after);
  }
  void expires_at(std::chrono::steady_clock::time_point expiry);
  void expires_never() noexcept;

  // Blocking, without the deadline (as beast's): only an ssl::stream's synchronous shutdown
  // after a TLS-ALPN challenge uses them.
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    return state_->socket.read_some(buffers, ec);
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
    return state_->socket.write_some(buffers, ec);
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          state_->operation_started();
          state_->socket.async_read_some(
              b, detail::TimedCompletion<decltype(handler)>{state_, std::move(handler)});
        },
        token, buffers);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          state_->operation_started();
          state_->socket.async_write_some(
              b, detail::TimedCompletion<decltype(handler)>{state_, std::move(handler)});
        },
        token, buffers);
  }

 private:
  // Heap-held: the deadline's action and pending operations keep a stable address while the
  // TimedSocket itself moves (into an ssl::stream, a connection), and an operation cancelled
  // by the socket's destruction still completes against it.
  std::shared_ptr<detail::TimedSocketState> state_;
};

}  // namespace relay::net

template <template <typename, typename> class Associator, typename Handler,
          typename DefaultCandidate>
struct boost::asio::associator<Associator, relay::net::detail::TimedCompletion<Handler>,
                               DefaultCandidate> : Associator<Handler, DefaultCandidate> {
  static typename Associator<Handler, DefaultCandidate>::type get(
      const relay::net::detail::TimedCompletion<Handler>& h) noexcept {
    return Associator<Handler, DefaultCandidate>::get(h.handler);
  }
  static auto get(const relay::net::detail::TimedCompletion<Handler>& h,
                  const DefaultCandidate& c) noexcept
      -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c)) {
    return Associator<Handler, DefaultCandidate>::get(h.handler, c);
  }
};
