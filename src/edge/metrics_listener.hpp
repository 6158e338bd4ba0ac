#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "edge/edge_state.hpp"

namespace relay::edge {

// `--metrics-listen`: plain HTTP, GET /metrics only (Prometheus' text format). Meant for a
// loopback or private address that Prometheus scrapes; it serves no tunnel traffic.
class MetricsListener {
 public:
  // Binds at once; throws std::runtime_error naming the address.
  MetricsListener(std::shared_ptr<EdgeState> state, const boost::asio::ip::tcp::endpoint& endpoint);
  void start();
  void close();
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }

 private:
  std::shared_ptr<EdgeState> state_;
  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  boost::asio::ip::tcp::endpoint endpoint_;
};

}  // namespace relay::edge
