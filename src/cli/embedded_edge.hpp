#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

namespace relay::edge {
class EdgeServer;
}

namespace relay::cli {

// The edge `relay http` starts in its own process when no --edge is given: public HTTP on
// 127.0.0.1:8080 (the next free port up to 8099, then any), agents on 127.0.0.1:<any>, domain
// `localhost` (curl and browsers resolve *.localhost to loopback), anonymous, with a fresh
// self-signed certificate that the agent pins. Shares the agent's io_context and thread.
class EmbeddedEdge {
 public:
  explicit EmbeddedEdge(boost::asio::io_context& io);
  ~EmbeddedEdge();

  // Throws std::runtime_error when no port could be bound.
  void start();
  [[nodiscard]] std::string agent_address() const;  // "127.0.0.1:port"
  [[nodiscard]] const std::string& certificate_pem() const { return cert_pem_; }
  boost::asio::awaitable<void> stop(std::chrono::milliseconds drain);

 private:
  boost::asio::io_context& io_;
  std::string cert_pem_;
  std::string key_pem_;
  std::unique_ptr<edge::EdgeServer> server_;
};

}  // namespace relay::cli
