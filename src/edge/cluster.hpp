#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "edge/session_registry.hpp"
#include "relay/edge/edge_options.hpp"
#include "relay/net/tunnel_protocol.hpp"
#include "relay/store/redis/redis_connection.hpp"
#include "relay/store/redis/redis_delivery_queue.hpp"  // cluster: queue
#include "relay/store/redis/redis_name_store.hpp"
#include "relay/store/redis/redis_token_store.hpp"  // cluster: tokens

namespace relay::edge {

// cluster: redis (issue 12, docs/cluster.md). What one edge of a cluster shares with the others
// through Redis: which authtoken owns each tunnel name (RedisNameStore, used by the session
// registry instead of SQLite's names) and which edges hold a live session for each name (the
// route keys, renewed every heartbeat, withdrawn when a session ends). Redis being away never
// blocks the io thread: the client fails fast, the edge keeps serving what it holds, and new
// names it cannot check are refused with a retryable 503.
class Cluster : public std::enable_shared_from_this<Cluster> {
 public:
  // `reserved`: the names edge.yml reserves for a token (never claimed in Redis: the file is
  // their record on every edge).
  Cluster(const boost::asio::any_io_executor& ex, const ClusterOptions& options,
          std::unordered_set<std::string> reserved);

  [[nodiscard]] store::NameStore& names() { return names_; }
  [[nodiscard]] const std::string& edge_id() const { return edge_id_; }
  // cluster: peer link. The same connection, for the edges' peer addresses (peer_directory).
  [[nodiscard]] const std::shared_ptr<store::redis::RedisConnection>& redis() const {
    return redis_;
  }
  // cluster: queue. The delivery queue and buffer policies every edge shares (instead of the
  // SQLite store's; EdgeState wraps its store with them).
  [[nodiscard]] store::redis::RedisDeliveryQueue& deliveries() { return *deliveries_; }
  [[nodiscard]] store::redis::RedisPolicyStore& policies() { return *policies_; }
  // cluster: tokens. The cluster's authtokens (hashes), cached in EdgeState::tokens.
  [[nodiscard]] store::redis::RedisTokenStore& tokens() { return tokens_; }
  [[nodiscard]] bool redis_available() const { return redis_->available(); }

  // Connects and starts the heartbeat; `live_names` lists the names of connected sessions.
  void start(std::function<std::vector<std::string>()> live_names);
  // The set of live names changed: publish the difference now rather than at the next beat.
  void routes_changed();
  // Graceful: withdraws this edge's route keys (bounded by the command timeout), disconnects.
  boost::asio::awaitable<void> stop();
  // Immediate (destructor path): disconnects; the route keys expire within their TTL.
  void close();

  // Before the session registry decides on a connect or bind: claims, in Redis, the names the
  // agent asks for by name, so every edge agrees on their owner (anonymous agents, token_hash
  // "", claim nothing: their names' owners are only read). Names already known keep
  // working while Redis is down; an unknown one is refused (503 cluster_unavailable, which the
  // agent retries). An owner conflict is not decided here: the registry answers it from the
  // cache this fills (409 name_owned).
  boost::asio::awaitable<Refusable<void>> claim(std::string token_hash,
                                                std::vector<net::protocol::TunnelRequest> tunnels);

  // cluster: queue. Called on the executor with a tunnel's name when a delivery for it became
  // due at another edge (an append, a retry), published on the queue's wake channel: the edge
  // that holds the agent delivers at once instead of at its next poll. Set before start().
  std::function<void(const std::string& tunnel)> on_queue_wake;
  // PINGs the subscribed connection: one whose link died silently times out, reconnects and
  // subscribes again. The queue watcher calls it with every refresh (2 s).
  boost::asio::awaitable<void> check_wakeups();

  // For the peer link (later): the edges holding a live session for `name`.
  boost::asio::awaitable<core::Result<std::vector<std::string>>> edges_for(std::string name);

 private:
  boost::asio::awaitable<void> heartbeat_loop();
  boost::asio::awaitable<void> sync_routes();
  void on_availability(bool up, const std::string& why);

  std::shared_ptr<store::redis::RedisConnection> redis_;
  // cluster: queue. Subscribed to the wake channel: a subscribed Redis client takes no other
  // command, so it is a connection of its own.
  std::shared_ptr<store::redis::RedisConnection> wakeups_;
  store::redis::RedisNameStore names_;
  store::redis::RouteDirectory routes_;
  std::unique_ptr<store::redis::RedisDeliveryQueue> deliveries_;  // cluster: queue
  std::unique_ptr<store::redis::RedisPolicyStore> policies_;      // cluster: queue
  store::redis::RedisTokenStore tokens_;                          // cluster: tokens
  std::string edge_id_;
  std::chrono::milliseconds heartbeat_;
  std::unordered_set<std::string> reserved_;
  std::function<std::vector<std::string>()> live_names_;
  std::set<std::string> published_;  // route keys this edge set and has not withdrawn
  boost::asio::steady_timer wake_;
  bool dirty_ = false;
  bool stopped_ = false;
  bool ever_up_ = false;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace relay::edge
