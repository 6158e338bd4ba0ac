#include "edge/cluster.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "relay/core/headers.hpp"
#include "relay/core/log.hpp"

namespace relay::edge {

namespace asio = boost::asio;
namespace protocol = net::protocol;

namespace {

constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
// A connect that finds Redis not up yet (the edge just started, or it is reconnecting) waits
// this long for it before refusing.
constexpr std::chrono::milliseconds kClaimWait{1000};

store::redis::RedisClientOptions client_options(const ClusterOptions& options) {
  store::redis::RedisClientOptions out;
  auto endpoint = store::redis::parse_redis_url(options.redis_url);
  if (!endpoint) throw std::runtime_error("--cluster: " + endpoint.error().message);
  out.endpoint = *endpoint;
  out.endpoint.password = options.redis_password;
  return out;
}

}  // namespace

Cluster::Cluster(const asio::any_io_executor& ex, const ClusterOptions& options,
                 std::unordered_set<std::string> reserved)
    : redis_(store::redis::RedisConnection::create(ex, client_options(options))),
      wakeups_(store::redis::RedisConnection::create(ex, client_options(options))),
      names_(redis_),
      routes_(redis_, options.edge_id, options.route_ttl),
      // cluster: queue. This edge is a consumer of every tunnel's stream under its edge id.
      deliveries_(std::make_unique<store::redis::RedisDeliveryQueue>(redis_, options.edge_id)),
      policies_(std::make_unique<store::redis::RedisPolicyStore>(redis_)),
      tokens_(redis_),  // cluster: tokens
      edge_id_(options.edge_id),
      heartbeat_(options.heartbeat),
      reserved_(std::move(reserved)),
      wake_(ex),
      log_(core::logger("relay.edge")) {}

void Cluster::start(std::function<std::vector<std::string>()> live_names) {
  live_names_ = std::move(live_names);
  std::weak_ptr<Cluster> weak = shared_from_this();
  redis_->on_availability = [weak](bool up, const std::string& why) {
    if (auto self = weak.lock()) self->on_availability(up, why);
  };
  redis_->start();
  wakeups_->subscribe(deliveries_->wake_channel(), [weak](std::string_view tunnel) {
    auto self = weak.lock();
    if (self && !self->stopped_ && self->on_queue_wake) self->on_queue_wake(std::string(tunnel));
  });
  wakeups_->start();
  asio::co_spawn(
      wake_.get_executor(), [self = shared_from_this()] { return self->heartbeat_loop(); },
      asio::detached);
}

asio::awaitable<void> Cluster::check_wakeups() {
  if (stopped_ || !wakeups_->available()) co_return;
  std::vector<std::string> ping{"PING"};  // named: a GCC 12 coroutine bug with temporaries
  co_await wakeups_->command(std::move(ping));
}

void Cluster::on_availability(bool up, const std::string& why) {
  const std::string redis = redis_->endpoint().display();
  if (up) {
    // One line each way per outage: the client reports a transition, not every retry.
    core::log_event(*log_, spdlog::level::info,
                    ever_up_ ? "redis available again" : "redis connected",
                    {{"redis", redis}, {"edge_id", edge_id_}});
    ever_up_ = true;
    routes_changed();  // what changed while it was away, and a fresh TTL on the rest
    return;
  }
  core::log_event(*log_, spdlog::level::warn, "redis unavailable",
                  {{"redis", redis},
                   {"error", why},
                   {"effect",
                    "tunnels held keep working; names this edge has not seen are refused until "
                    "Redis is back; buffered tunnels answer 503 with Retry-After instead of "
                    "queueing (cluster: queue)"}});
}

void Cluster::routes_changed() {
  dirty_ = true;
  wake_.cancel();
}

asio::awaitable<void> Cluster::heartbeat_loop() {
  while (!stopped_) {
    if (!dirty_) {
      wake_.expires_after(heartbeat_);
      co_await wake_.async_wait(kAwaitable);
      if (stopped_) break;
    }
    dirty_ = false;
    co_await sync_routes();
  }
}

asio::awaitable<void> Cluster::sync_routes() {
  if (!live_names_ || !redis_->available()) co_return;
  auto live = live_names_();
  std::set<std::string> current(live.begin(), live.end());
  std::vector<std::string> gone;
  std::set_difference(published_.begin(), published_.end(), current.begin(), current.end(),
                      std::back_inserter(gone));
  std::vector<std::string> renew(current.begin(), current.end());
  auto published = co_await routes_.publish(renew);
  if (published) published_.insert(current.begin(), current.end());
  if (!gone.empty()) {
    auto withdrawn = co_await routes_.withdraw(gone);
    // Not withdrawn: the keys expire within their TTL anyway.
    for (const auto& n : gone) published_.erase(n);
    (void)withdrawn;
  }
}

asio::awaitable<void> Cluster::stop() {
  if (stopped_) co_return;
  stopped_ = true;
  wake_.cancel();
  if (redis_->available() && !published_.empty()) {
    std::vector<std::string> all(published_.begin(), published_.end());
    co_await routes_.withdraw(all);
    published_.clear();
  }
  wakeups_->stop();
  redis_->stop();
}

void Cluster::close() {
  stopped_ = true;
  wake_.cancel();
  wakeups_->stop();
  redis_->stop();
}

asio::awaitable<Refusable<void>> Cluster::claim(std::string token_hash,
                                                std::vector<protocol::TunnelRequest> tunnels) {
  std::vector<std::string> names;
  for (const auto& t : tunnels) {
    std::string name = core::to_lower(t.name);
    // Invalid and duplicate names are the registry's to refuse, with its own message.
    if (name.empty() || !protocol::is_valid_tunnel_name(name) || reserved_.contains(name)) continue;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  if (names.empty()) co_return Refusable<void>{};
  const bool all_known = std::all_of(names.begin(), names.end(),
                                     [this](const std::string& n) { return names_.cached(n); });
  if (!redis_->available()) {
    if (all_known) co_return Refusable<void>{};  // held before: keeps working without Redis
    co_await redis_->wait_available(kClaimWait);
  }
  // Anonymous agents claim nothing, but the owners of the names they ask for must be known.
  core::Result<void> claimed;
  if (token_hash.empty()) {
    claimed = co_await names_.lookup_async(names);
  } else {
    claimed = co_await names_.claim_async(names, std::move(token_hash));
  }
  if (claimed || all_known) co_return Refusable<void>{};
  co_return Refusal{503, "cluster_unavailable",
                    fmt::format("this edge cannot reach the cluster's Redis to check who owns "
                                "tunnel name '{}' ({}); the agent retries, or try again in a "
                                "moment",
                                names.front(), redis_->last_error())};
}

asio::awaitable<core::Result<std::vector<std::string>>> Cluster::edges_for(std::string name) {
  co_return co_await routes_.edges_for(std::move(name));
}

}  // namespace relay::edge
