#include "cli/embedded_edge.hpp"

#include <stdexcept>

#include "relay/edge/edge_server.hpp"
#include "relay/net/tls.hpp"

namespace relay::cli {

namespace {

edge::EdgeOptions embedded_options(unsigned short port, const std::string& cert,
                                   const std::string& key) {
  edge::EdgeOptions o;
  o.listen = {"127.0.0.1:" + std::to_string(port)};
  o.agent_listen = "127.0.0.1:0";
  o.domain = "localhost";
  o.allow_anonymous = true;
  o.tls_cert_pem = cert;
  o.tls_key_pem = key;
  return o;
}

}  // namespace

EmbeddedEdge::EmbeddedEdge(boost::asio::io_context& io) : io_(io) {
  auto pem = net::make_self_signed_certificate({"localhost", "127.0.0.1"});
  cert_pem_ = std::move(pem.cert);
  key_pem_ = std::move(pem.key);
}

EmbeddedEdge::~EmbeddedEdge() = default;

void EmbeddedEdge::start() {
  std::string last_error;
  // 8080 first, as people expect; then its neighbours; then whatever the system gives.
  for (unsigned port = 8080; port <= 8100; ++port) {
    auto p = port == 8100 ? 0 : port;
    auto server = std::make_unique<edge::EdgeServer>(
        io_, embedded_options(static_cast<unsigned short>(p), cert_pem_, key_pem_));
    try {
      server->start();
      server_ = std::move(server);
      return;
    } catch (const std::exception& e) {
      last_error = e.what();
    }
  }
  throw std::runtime_error("cannot start the embedded edge: " + last_error);
}

std::string EmbeddedEdge::agent_address() const {
  auto ep = server_->agent_endpoint();
  return "127.0.0.1:" + std::to_string(ep.port());
}

boost::asio::awaitable<void> EmbeddedEdge::stop(std::chrono::milliseconds drain) {
  if (server_) co_await server_->stop(drain);
}

}  // namespace relay::cli
