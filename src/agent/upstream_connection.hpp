#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "relay/core/result.hpp"
#include "relay/net/deadline.hpp"

namespace relay::agent {

// One HTTP/1.1 connection to the app, plain or TLS. A plain socket rather than
// beast::tcp_stream: its timeout is a timer wait and a second completion per read and write;
// one lazy net::Deadline per connection bounds them all (bench/README.md).
struct UpstreamConnection {
  using Socket = boost::asio::ip::tcp::socket;
  using Tls = boost::asio::ssl::stream<Socket>;

  explicit UpstreamConnection(const boost::asio::any_io_executor& ex) : deadline_(ex) {}
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  std::unique_ptr<Socket> tcp;       // set for http://
  std::unique_ptr<Tls> tls;          // set for https://
  boost::beast::flat_buffer buffer;  // bytes read past the last response
  bool reused = false;               // came from the idle pool
  std::chrono::steady_clock::time_point idle_since;

  Socket& lowest() { return tls ? tls->next_layer() : *tcp; }

  // The operation about to start must end within `after`: when it passes, the socket is
  // closed, which fails it; its error then reads as timed_out (timed_out_or()). As with
  // beast::tcp_stream, only the time an operation is pending counts: call expires_never() when
  // it completes (a disarm costs no timer operation: net::Deadline is lazy).
  void expires_after(std::chrono::steady_clock::duration after) {
    deadline_.arm(after, [this] {
      boost::system::error_code ignored;
      lowest().close(ignored);
    });
  }
  void expires_never() noexcept { deadline_.disarm(); }
  [[nodiscard]] core::error_code timed_out_or(const core::error_code& ec) const {
    return ec && deadline_.expired() ? core::error_code(boost::asio::error::timed_out) : ec;
  }

 private:
  net::Deadline deadline_;
};

}  // namespace relay::agent
