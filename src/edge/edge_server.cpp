#include "relay/edge/edge_server.hpp"

#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "edge/acme/certificate_service.hpp"
#include "edge/agent_listener.hpp"
#include "edge/agent_session.hpp"
#include "edge/cluster_queue.hpp"  // cluster: queue
#include "edge/delivery_scheduler.hpp"
#include "edge/edge_state.hpp"
#include "edge/listen_socket.hpp"
#include "edge/metrics_listener.hpp"
#include "edge/peer_network.hpp"
#include "edge/public_listener.hpp"
#include "relay/core/log.hpp"
#include "relay/net/tls.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

net::CertificatePem load_certificate(const EdgeOptions& options) {
  if (!options.tls_cert_pem.empty() && !options.tls_key_pem.empty()) {
    return {options.tls_cert_pem, options.tls_key_pem};
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    throw std::runtime_error(
        "the edge needs a TLS certificate for its agent port; pass --tls-cert FILE and --tls-key "
        "FILE");
  }
  return net::read_pem_files(options.tls_cert_file, options.tls_key_file);
}

// operations: acme. Checks what ACME needs before anything binds, then picks certificates for
// the public TLS listener by SNI (edge/acme/certificate_service.hpp).
void start_acme(const std::shared_ptr<EdgeState>& state, const net::TlsContextPtr& public_tls) {
  const auto& options = state->options;
  if (options.acme.email.empty()) return;
  if (!public_tls) {
    throw std::runtime_error(
        "--acme-email gets certificates for the public HTTPS listener; add --listen-tls ADDR");
  }
  if (options.state_dir.empty()) {
    throw std::runtime_error(
        "--acme-email keeps certificates in the state directory; set "
        "--state-dir DIR");
  }
  if (options.listen.empty()) {
    state->log->warn(
        "--acme-email without --listen: the CA validates names over plain HTTP on port 80 "
        "(HTTP-01), so orders will fail; add --listen 0.0.0.0:80");
  }
  state->acme = std::make_shared<acme::CertificateService>(state, *state);
  state->acme->install(*public_tls);
}

// Waits, in short steps, until `done()` or the deadline; stop() is the only user and the
// steps keep it free of cancellation races with the connections it watches.
asio::awaitable<void> wait_until(asio::any_io_executor ex,
                                 std::chrono::steady_clock::time_point deadline,
                                 const std::function<bool()>& done) {
  asio::steady_timer timer(ex);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace

EdgeServer::EdgeServer(asio::io_context& io, EdgeOptions options)
    : state_(std::make_shared<EdgeState>(io.get_executor(), std::move(options))) {}

EdgeServer::~EdgeServer() {
  if (state_->peers) state_->peers->close();      // cluster: peer link
  if (state_->cluster) state_->cluster->close();  // cluster: route keys expire on their own
  if (scheduler_) scheduler_->stop();
  if (state_->acme) state_->acme->stop();
  for (auto& l : public_) l->close();
  if (metrics_) metrics_->close();
  if (agent_) agent_->close();
  state_->stopping = true;
  state_->agent_connections.close_all();
  state_->public_connections.close_all();
}

void EdgeServer::start() {
  auto& options = state_->options;
  auto pem = load_certificate(options);
  state_->trusted_proxies = parse_cidr_list(options.trusted_proxies, "--trusted-proxies");
  auto agent_tls = net::make_server_tls_context(pem, {std::string(net::protocol::kAlpn)});
  net::TlsContextPtr public_tls;
  if (!options.listen_tls.empty()) public_tls = net::make_server_tls_context(pem, {"http/1.1"});
  start_acme(state_, public_tls);  // operations: acme

  // Bind everything before accepting anything: a bad address fails start() as a whole.
  std::vector<std::unique_ptr<PublicListener>> listeners;
  for (const auto& address : options.listen) {
    listeners.push_back(std::make_unique<PublicListener>(
        state_, parse_listen_address(address, "--listen"), nullptr));
  }
  for (const auto& address : options.listen_tls) {
    listeners.push_back(std::make_unique<PublicListener>(
        state_, parse_listen_address(address, "--listen-tls"), public_tls));
  }
  auto agent = std::make_unique<AgentListener>(
      state_, parse_listen_address(options.agent_listen, "--agent-listen"), agent_tls);
  // cluster: peer link. The same certificate the agents see; bound with the other ports.
  if (state_->cluster && !options.cluster.peer_listen.empty()) {
    state_->peers = std::make_shared<peer::PeerNetwork>(state_, agent_tls);
  }
  std::unique_ptr<MetricsListener> metrics;
  if (!options.metrics_listen.empty()) {
    metrics = std::make_unique<MetricsListener>(
        state_, parse_listen_address(options.metrics_listen, "--metrics-listen"));
  }

  // Public URLs use HTTPS when the edge serves it, on the first listener of that kind.
  const PublicListener* shown = nullptr;
  for (const auto& l : listeners) {
    if (l->is_tls() && !shown) shown = l.get();
  }
  if (!shown && !listeners.empty()) shown = listeners.front().get();
  state_->url_scheme = shown && shown->is_tls() ? "https" : "http";
  state_->url_port =
      options.public_port != 0 ? options.public_port : (shown ? shown->local_endpoint().port() : 0);

  public_ = std::move(listeners);
  agent_ = std::move(agent);
  metrics_ = std::move(metrics);
  for (auto& l : public_) l->start();
  agent_->start();
  // durable delivery: scheduler. After the listeners: an EdgeServer whose start() failed
  // (a port in use) never touched the queue.
  scheduler_ = std::make_shared<DeliveryScheduler>(state_, state_->store->deliveries());
  scheduler_->start();
  if (state_->acme) state_->acme->start();  // operations: acme (renewal check)
  // cluster: redis. Connects in the background: the edge serves while Redis comes up.
  if (state_->cluster) {
    state_->cluster->start([weak = std::weak_ptr<EdgeState>(state_)] {
      auto state = weak.lock();
      return state ? state->registry.connected_names() : std::vector<std::string>();
    });
    // cluster: queue. Other edges' appends and policies, polled.
    asio::co_spawn(state_->executor, watch_cluster_queue(state_), asio::detached);
  }
  if (state_->peers) state_->peers->start();  // cluster: peer link
  if (metrics_) {
    metrics_->start();
    core::log_event(*state_->log, spdlog::level::info, "listening",
                    {{"metrics", "http://" + to_string(metrics_->local_endpoint()) + "/metrics"}});
  }
  for (auto& l : public_) {
    core::log_event(
        *state_->log, spdlog::level::info, "listening",
        {{"public", to_string(l->local_endpoint())}, {"tls", l->is_tls() ? "true" : "false"}});
  }
  core::log_event(
      *state_->log, spdlog::level::info, "listening",
      {{"agents", to_string(agent_->local_endpoint())}, {"domain", state_->router.domain()}});
  if (options.authtokens.empty() && options.allow_anonymous) {
    state_->log->warn("any agent may connect without an authtoken (--allow-anonymous)");
  }
}

std::vector<tcp::endpoint> EdgeServer::public_endpoints() const {
  std::vector<tcp::endpoint> out;
  for (const auto& l : public_) out.push_back(l->local_endpoint());
  return out;
}

tcp::endpoint EdgeServer::agent_endpoint() const {
  return agent_ ? agent_->local_endpoint() : tcp::endpoint{};
}

tcp::endpoint EdgeServer::metrics_endpoint() const {
  return metrics_ ? metrics_->local_endpoint() : tcp::endpoint{};
}

std::string EdgeServer::public_url(std::string_view tunnel_name) const {
  return state_->public_url(tunnel_name);
}

asio::awaitable<void> EdgeServer::stop(std::chrono::milliseconds drain) {
  auto state = state_;
  const auto deadline = std::chrono::steady_clock::now() + drain;
  state->stopping = true;
  if (state->acme) state->acme->stop();
  for (auto& l : public_) l->close();
  if (agent_) agent_->close();
  // No new leases; attempts in flight end with their sessions' streams and record the outcome.
  if (scheduler_) scheduler_->stop();
  if (metrics_) metrics_->close();
  core::log_event(*state->log, spdlog::level::info, "stopping",
                  {{"sessions", state->agent_connections.size()},
                   {"connections", state->public_connections.size()}});
  // Idle public connections close now, busy ones after their response; agents get GOAWAY.
  state->public_connections.drain_all();
  state->agent_connections.drain_all();
  // Named: GCC 12 mishandles some temporaries bound to references in a co_await expression.
  const std::function<bool()> all_closed = [&] {
    return state->public_connections.size() == 0 && state->agent_connections.size() == 0;
  };
  co_await wait_until(state->executor, deadline, all_closed);
  state->public_connections.close_all();
  state->agent_connections.close_all();
  // Let the closed connections unwind (bounded: they only have cancelled I/O left).
  co_await wait_until(state->executor, std::chrono::steady_clock::now() + std::chrono::seconds(1),
                      all_closed);
  // cluster: peer link. Its address goes from Redis with the route keys.
  if (state->peers) co_await state->peers->stop();
  // cluster: redis. This edge's route keys go now rather than when their TTL runs out.
  if (state->cluster) co_await state->cluster->stop();
}

}  // namespace relay::edge
