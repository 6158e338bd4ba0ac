#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "relay/core/result.hpp"
#include "relay/store/redis/redis_connection.hpp"

namespace relay::edge::peer {

// cluster: peer link. Where each edge's peer port is: the hash relay:edge:<edge-id> {peer:
// host:port} in Redis, with the route keys' TTL, renewed every heartbeat, deleted on a graceful
// stop (after kill -9 it expires with the route keys).
class PeerDirectory : public std::enable_shared_from_this<PeerDirectory> {
 public:
  PeerDirectory(std::shared_ptr<store::redis::RedisConnection> redis, std::string edge_id,
                std::string advertise, std::chrono::milliseconds ttl,
                std::chrono::milliseconds heartbeat);

  static std::string key(std::string_view edge_id) { return "relay:edge:" + std::string(edge_id); }

  void start();                         // publishes now and every heartbeat
  boost::asio::awaitable<void> stop();  // deletes this edge's key (bounded by the command timeout)
  void close();                         // stops publishing; the key expires

  // The peer address `edge_id` published; nullopt when it has none (no peer port, or gone).
  boost::asio::awaitable<core::Result<std::optional<std::string>>> address_of(std::string edge_id);

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> publish();

  std::shared_ptr<store::redis::RedisConnection> redis_;
  std::string edge_id_;
  std::string advertise_;
  std::chrono::milliseconds ttl_;
  std::chrono::milliseconds heartbeat_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace relay::edge::peer
