#include "edge/edge_state.hpp"

#include <stdexcept>

#include <unordered_set>

#include "edge/cluster_queue.hpp"  // cluster: queue
#include "relay/core/headers.hpp"
#include "relay/core/log.hpp"

namespace relay::edge {

namespace {

std::unique_ptr<store::Store> open_store(const EdgeOptions& options) {
  if (options.state_dir.empty()) return store::make_memory_store();
  return store::open_sqlite_store(options.state_dir, store::OpenMode::create,
                                  options.store_max_bytes);  // durable delivery: store
}

// cluster: redis. edge.yml's reserved names stay out of Redis (the file is their record).
std::shared_ptr<Cluster> open_cluster(const boost::asio::any_io_executor& ex,
                                      const EdgeOptions& options) {
  if (!options.cluster.enabled()) return nullptr;
  std::unordered_set<std::string> reserved;
  for (const auto& t : options.authtokens) {
    for (const auto& n : t.reserved_names) reserved.insert(core::to_lower(n));
  }
  return std::make_shared<Cluster>(ex, options.cluster, std::move(reserved));
}

}  // namespace

EdgeState::EdgeState(boost::asio::any_io_executor ex, EdgeOptions opts)
    : executor(std::move(ex)),
      options(std::move(opts)),
      tokens(options.authtokens),
      auth_failures({.failures_per_minute = options.limits.auth_failures_per_minute,
                     .block = options.limits.auth_failure_block}),
      router(options.domain),
      store(open_store(options)),
      cluster(open_cluster(executor, options)),  // cluster: redis
      registry(options.authtokens, options.resume_grace, options.limits.max_tunnels_per_session,
               options.limits.max_sessions, cluster ? cluster->names() : store->names()),
      log(core::logger("relay.edge")),
      connections_per_ip(options.limits.max_connections_per_ip, 0),
      requests_per_ip(options.limits.max_requests_per_ip, 0),
      pending_handshakes(options.limits.max_pending_handshakes_per_ip,
                         options.limits.max_pending_handshakes),
      trimmer(executor) {
  h2_options.ping_interval = options.ping_interval;
  // cluster: queue. The queue and buffer policies every edge shares, in Redis; the policies
  // arrive once Redis answers (watch_cluster_queue), so all() below finds none yet.
  if (cluster) store = make_cluster_store(std::move(store), *cluster);
  // durable delivery (accept): owned names keep queueing across restarts; an anonymous
  // session's policies end with its names.
  auto policies = store->policies().all();
  if (!policies) {
    throw std::runtime_error("cannot read the tunnels' buffer policies from the edge's state (" +
                             policies.error().message() +
                             "); check the state directory's database and its permissions");
  }
  buffer_policies.load(*policies);
  registry.on_anonymous_name_released = [this](const std::string& name) {
    buffer_policies.erase(name);
  };
  if (cluster) registry.on_sessions_changed = [this] { cluster->routes_changed(); };  // cluster
}

}  // namespace relay::edge
