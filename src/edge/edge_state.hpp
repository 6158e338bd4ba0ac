#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>
#include <boost/asio/any_io_executor.hpp>

#include "edge/auth_failure_limiter.hpp"
#include "edge/auth_tokens.hpp"
#include "edge/buffer_policies.hpp"
#include "edge/cluster.hpp"
#include "edge/edge_metrics.hpp"
#include "edge/host_router.hpp"
#include "edge/ip_rules.hpp"
#include "edge/memory_trim.hpp"
#include "edge/name_generator.hpp"
#include "edge/per_ip_counter.hpp"
#include "edge/session_registry.hpp"
#include "edge/task_tracker.hpp"
#include "relay/edge/cidr.hpp"
#include "relay/edge/edge_options.hpp"
#include "relay/net/h2_session.hpp"
#include "relay/store/store.hpp"

namespace relay::edge {

namespace acme {
class CertificateService;
}
class DeliveryScheduler;
namespace peer {
class PeerNetwork;  // cluster: peer link
}

// What every part of one edge shares. Held by shared_ptr from each coroutine, so a connection
// still winding down after EdgeServer is gone touches valid memory. Single-threaded: the edge
// runs on one io_context thread, so no field needs a lock.
struct EdgeState {
  // Throws std::runtime_error when the state database cannot be opened (says which and why).
  EdgeState(boost::asio::any_io_executor ex, EdgeOptions opts);

  boost::asio::any_io_executor executor;
  EdgeOptions options;
  AuthTokens tokens;
  AuthFailureLimiter auth_failures;  // failed authtokens per client address (agent port)
  HostRouter router;
  std::unique_ptr<store::Store> store;  // before registry, which keeps a reference into it
  // cluster: redis. With --cluster, the registry's name owners (instead of the store's) and the
  // route directory; null without it. Before registry, which keeps a reference into it.
  std::shared_ptr<Cluster> cluster;
  SessionRegistry registry;
  NameGenerator names;
  net::H2Options h2_options;
  TaskTracker public_connections;
  TaskTracker agent_connections;  // handshakes in progress and live sessions
  std::shared_ptr<spdlog::logger> log;
  bool stopping = false;
  // public-limits: per-client caps (docs/security.md).
  CidrSet trusted_proxies;  // parsed by EdgeServer::start()
  PerIpCounter connections_per_ip;
  PerIpCounter requests_per_ip;
  PerIpCounter pending_handshakes;  // TLS ports: connected, handshake not done
  MemoryTrimmer trimmer;
  // durable delivery (accept): each buffered tunnel's policy, loaded from store->policies() at
  // start and kept current by connect/bind.
  BufferPolicies buffer_policies;
  // durable delivery: scheduler. Wakes the delivery worker of a tunnel (a new append, a session
  // binding the name); set by DeliveryScheduler::start(), empty before and after it runs.
  std::function<void(const std::string& tunnel)> delivery_wakeup;
  // The same scheduler, for the accept path's hand-over (DeliveryScheduler::claim).
  std::weak_ptr<DeliveryScheduler> delivery_scheduler;
  EdgeMetrics metrics;     // operations: --metrics-listen
  TunnelIpRules ip_rules;  // operations: each tunnel's ip_allow / ip_deny
  // Filled in by EdgeServer::start() once the listeners are bound.
  std::string url_scheme = "http";
  unsigned short url_port = 0;
  // operations: acme. Set by EdgeServer::start() with --acme-email (edge/acme/).
  std::shared_ptr<acme::CertificateService> acme;
  // cluster: peer link. With --peer-listen: the peer port and the links to other edges; null
  // without it (a request for a tunnel held elsewhere is then answered as without a cluster).
  std::shared_ptr<peer::PeerNetwork> peers;

  [[nodiscard]] std::string public_url(std::string_view name) const {
    return make_public_url(url_scheme, router.domain(), url_port, name);
  }
};

}  // namespace relay::edge
