#pragma once

#include <map>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "edge/route_cache.hpp"
#include "edge/stream_target.hpp"
#include "relay/net/tls.hpp"

namespace relay::edge {
struct EdgeState;
}

namespace relay::edge::peer {

class PeerDirectory;
class PeerLink;

// cluster: peer link (docs/cluster.md, "The peer link"). One edge's side of the links between the
// cluster's edges: its peer port (TLS with the edge's certificate, the secret proof, HTTP/2 with
// this edge as the server: streams from peers are served into local agent sessions), its
// address in Redis, and one pooled link per peer edge it forwards to (this edge the client).
class PeerNetwork : public std::enable_shared_from_this<PeerNetwork> {
 public:
  // Binds the peer port at once (throws std::runtime_error naming --peer-listen).
  PeerNetwork(const std::shared_ptr<EdgeState>& state, net::TlsContextPtr server_tls);

  void start();
  boost::asio::awaitable<void> stop();  // closes the port and the links, deletes the address
  void close();
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }

  // Where to send a public request for `name` that no local session serves: a live link to an
  // edge holding it, or null. `held_elsewhere` is set when Redis lists other edges for it (so
  // a null answer means they cannot be reached: a 502, not "not found").
  boost::asio::awaitable<std::shared_ptr<StreamTarget>> target_for(std::string name,
                                                                   bool& held_elsewhere);

 private:
  static boost::asio::awaitable<void> serve_weak(std::weak_ptr<PeerNetwork> weak,
                                                 boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  void close_links();
  std::shared_ptr<PeerLink> link(const std::shared_ptr<EdgeState>& state,
                                 const std::string& edge_id);

  std::weak_ptr<EdgeState> state_;
  EdgeState& state_ref_;
  net::TlsContextPtr server_tls_;
  net::TlsContextPtr client_tls_;
  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::shared_ptr<PeerDirectory> directory_;
  RouteCache routes_;
  std::map<std::string, std::shared_ptr<PeerLink>> links_;
  // A burst of requests for one name that misses the cache waits for one SCAN, not one each.
  std::map<std::string, std::shared_ptr<boost::asio::steady_timer>> lookups_;
  std::size_t next_ = 0;  // round robin among several holders
  bool closed_ = false;
};

}  // namespace relay::edge::peer
