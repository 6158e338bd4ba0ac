#pragma once

#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "edge/edge_state.hpp"
#include "edge/first_bytes.hpp"
#include "relay/net/tls.hpp"

namespace relay::edge {

// The port agents dial: TLS (ALPN relay/1), one HTTP/1.1 connect request, then 101 and an
// HTTP/2 session with the edge as the client (docs/protocol.md).
class AgentListener {
 public:
  // Binds at once; throws std::runtime_error naming the address when it cannot.
  AgentListener(std::shared_ptr<EdgeState> state, const boost::asio::ip::tcp::endpoint& endpoint,
                net::TlsContextPtr tls);

  void start();
  void close();
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }

 private:
  std::shared_ptr<EdgeState> state_;
  net::TlsContextPtr tls_;
  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  boost::asio::ip::tcp::endpoint endpoint_;
};

// One agent connection from TCP accept to the end of its session.
// `pending`: its place among the pending handshakes, until the connect request is answered.
boost::asio::awaitable<void> serve_agent(std::shared_ptr<EdgeState> state, net::TlsContextPtr tls,
                                         boost::asio::ip::tcp::socket socket,
                                         PendingHandshake pending);

}  // namespace relay::edge
