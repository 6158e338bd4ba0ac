#pragma once

#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "edge/edge_state.hpp"
#include "relay/net/tls.hpp"

namespace relay::edge {

// A public HTTP (tls == nullptr) or HTTPS listener: accepts and hands each connection to a
// PublicConnection of the matching stream type.
class PublicListener {
 public:
  // Binds at once; throws std::runtime_error naming the address and the flag to change.
  PublicListener(std::shared_ptr<EdgeState> state, const boost::asio::ip::tcp::endpoint& endpoint,
                 net::TlsContextPtr tls);

  void start();
  void close();
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }
  [[nodiscard]] bool is_tls() const { return tls_ != nullptr; }

 private:
  std::shared_ptr<EdgeState> state_;
  net::TlsContextPtr tls_;
  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  boost::asio::ip::tcp::endpoint endpoint_;
};

}  // namespace relay::edge
