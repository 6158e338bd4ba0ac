#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "relay/edge/edge_options.hpp"

namespace relay::edge {

struct EdgeState;
class PublicListener;
class AgentListener;
class DeliveryScheduler;
class MetricsListener;

// The public side of relay: public HTTP(S) listeners, the agent listener, and the registry of
// agent sessions. Composes those parts and holds no logic of its own. Runs on the io_context's
// one thread; every member is called on it.
class EdgeServer {
 public:
  // Opens the state store (options.state_dir; memory when empty). Throws std::runtime_error
  // naming the database file and what to do when it is corrupt or unreadable.
  EdgeServer(boost::asio::io_context& io, EdgeOptions options);
  EdgeServer(const EdgeServer&) = delete;
  EdgeServer& operator=(const EdgeServer&) = delete;
  ~EdgeServer();

  // Binds every listener and starts accepting. Throws std::runtime_error naming the address or
  // file that is wrong and what to do ("127.0.0.1:8080 is already in use; ...").
  void start();

  // Bound addresses, ports resolved (listening on port 0 works).
  [[nodiscard]] std::vector<boost::asio::ip::tcp::endpoint> public_endpoints() const;
  [[nodiscard]] boost::asio::ip::tcp::endpoint agent_endpoint() const;
  // The --metrics-listen address (port resolved); unspecified when there is none.
  [[nodiscard]] boost::asio::ip::tcp::endpoint metrics_endpoint() const;
  // "http(s)://name.domain[:port]" for a tunnel of this edge.
  [[nodiscard]] std::string public_url(std::string_view tunnel_name) const;

  // Stops accepting, sends GOAWAY to every agent session, lets requests in flight finish until
  // `drain` has passed, then closes what is left.
  boost::asio::awaitable<void> stop(std::chrono::milliseconds drain);

 private:
  std::shared_ptr<EdgeState> state_;
  std::vector<std::unique_ptr<PublicListener>> public_;
  std::unique_ptr<AgentListener> agent_;
  // durable delivery: scheduler (drains the queue through the agents; started by start()).
  std::shared_ptr<DeliveryScheduler> scheduler_;
  std::unique_ptr<MetricsListener> metrics_;
};

}  // namespace relay::edge
