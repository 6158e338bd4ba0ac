#include "edge/peer_directory.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "relay/store/error.hpp"

namespace relay::edge::peer {

namespace asio = boost::asio;
using store::redis::RedisReply;

PeerDirectory::PeerDirectory(std::shared_ptr<store::redis::RedisConnection> redis,
                             std::string edge_id, std::string advertise,
                             std::chrono::milliseconds ttl, std::chrono::milliseconds heartbeat)
    : redis_(std::move(redis)),
      edge_id_(std::move(edge_id)),
      advertise_(std::move(advertise)),
      ttl_(ttl),
      heartbeat_(heartbeat),
      timer_(redis_->get_executor()) {}

void PeerDirectory::start() {
  asio::co_spawn(
      timer_.get_executor(), [self = shared_from_this()] { return self->loop(); }, asio::detached);
}

asio::awaitable<void> PeerDirectory::loop() {
  // The first beat waits for Redis a little: the edge usually starts with it coming up.
  co_await redis_->wait_available(std::chrono::milliseconds(2000));
  while (!stopped_) {
    if (redis_->available()) co_await publish();
    // Every heartbeat, and at least thrice per TTL: an address must outlive the route keys
    // that lead to it.
    timer_.expires_after(std::min(heartbeat_, ttl_ / 3));
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> PeerDirectory::publish() {
  std::vector<std::vector<std::string>> commands{
      {"HSET", key(edge_id_), "peer", advertise_},
      {"PEXPIRE", key(edge_id_), std::to_string(ttl_.count())}};
  co_await redis_->pipeline(std::move(commands));  // a failure: the next beat tries again
}

asio::awaitable<void> PeerDirectory::stop() {
  if (stopped_) co_return;
  stopped_ = true;
  timer_.cancel();
  if (redis_->available()) {
    std::vector<std::string> del{"DEL", key(edge_id_)};
    co_await redis_->command(std::move(del));
  }
}

void PeerDirectory::close() {
  stopped_ = true;
  timer_.cancel();
}

asio::awaitable<core::Result<std::optional<std::string>>> PeerDirectory::address_of(
    std::string edge_id) {
  std::vector<std::string> get{"HGET", key(edge_id), "peer"};
  auto reply = co_await redis_->command(std::move(get));
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return make_error_code(store::Errc::unavailable);
  if (reply->type != RedisReply::Type::string) co_return std::optional<std::string>();
  co_return std::optional<std::string>(reply->text);
}

}  // namespace relay::edge::peer
