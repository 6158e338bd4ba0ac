#include "edge/cluster_queue.hpp"

#include <chrono>
#include <set>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "edge/agent_session.hpp"
#include "edge/cluster.hpp"
#include "edge/cluster_tokens.hpp"  // cluster: tokens
#include "edge/edge_state.hpp"
#include "relay/core/log.hpp"

namespace relay::edge {

namespace asio = boost::asio;

namespace {

constexpr std::chrono::milliseconds kPoll{500};
constexpr int kRefreshEveryPolls = 4;  // policies (and cluster: tokens) every 2 s

// The SQLite (or memory) store's names; the cluster's queue and policies.
class ClusterStore final : public store::Store {
 public:
  ClusterStore(std::unique_ptr<store::Store> local, Cluster& cluster)
      : local_(std::move(local)), cluster_(cluster) {}
  store::NameStore& names() override { return local_->names(); }
  store::PolicyStore& policies() override { return cluster_.policies(); }
  store::DeliveryQueue& deliveries() override { return cluster_.deliveries(); }

 private:
  std::unique_ptr<store::Store> local_;
  Cluster& cluster_;
};

bool live_here(EdgeState& state, const std::string& tunnel) {
  auto found = state.registry.lookup(tunnel, std::chrono::steady_clock::now());
  return found.state == SessionRegistry::State::live && found.session && found.session->accepting();
}

// Redis's policies into the edge's: what other edges recorded, and what they removed. A name
// with a live session here keeps what its own bind said.
asio::awaitable<void> refresh_policies(EdgeState& state, std::set<std::string>& remote) {
  auto fresh = co_await state.cluster->policies().refresh();
  if (!fresh) co_return;
  std::set<std::string> now;
  for (const auto& [name, policy] : *fresh) {
    now.insert(name);
    if (!live_here(state, name)) state.buffer_policies.set(name, policy);
  }
  for (const auto& name : remote) {
    if (!now.contains(name) && !live_here(state, name)) state.buffer_policies.erase(name);
  }
  remote = std::move(now);
}

}  // namespace

std::unique_ptr<store::Store> make_cluster_store(std::unique_ptr<store::Store> local,
                                                 Cluster& cluster) {
  return std::make_unique<ClusterStore>(std::move(local), cluster);
}

asio::awaitable<void> watch_cluster_queue(std::weak_ptr<EdgeState> weak) {
  std::set<std::string> remote;  // the names Redis had policies for at the last refresh
  bool refreshed = false;        // since Redis last came up
  // What another edge queues wakes the worker of its tunnel at once (Pub/Sub); the poll below
  // finds what a message cannot tell: one sent while this edge was reconnecting, and the
  // leases of an edge that died.
  if (auto state = weak.lock(); state && state->cluster) {
    state->cluster->on_queue_wake = [weak](const std::string& tunnel) {
      auto s = weak.lock();
      if (s && !s->stopping && s->delivery_wakeup && live_here(*s, tunnel)) {
        s->delivery_wakeup(tunnel);
      }
    };
  }
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int poll = 0;; ++poll) {
    timer.expires_after(kPoll);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    auto state = weak.lock();
    if (!state || state->stopping || !state->cluster) co_return;
    if (!state->cluster->redis_available()) {
      refreshed = false;
      continue;
    }
    if (!refreshed || poll % kRefreshEveryPolls == 0) {
      co_await refresh_policies(*state, remote);
      co_await refresh_cluster_tokens(*state);  // cluster: tokens
      co_await state->cluster->check_wakeups();
      refreshed = true;
    }
    auto tunnels = co_await state->cluster->deliveries().tunnels_with_queued();
    if (!tunnels || state->stopping) continue;
    for (const auto& t : *tunnels) {
      if (state->delivery_wakeup && live_here(*state, t)) state->delivery_wakeup(t);
    }
  }
}

}  // namespace relay::edge
