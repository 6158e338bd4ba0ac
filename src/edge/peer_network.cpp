#include "edge/peer_network.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "edge/edge_state.hpp"
#include "edge/listen_socket.hpp"
#include "edge/peer_directory.hpp"
#include "edge/peer_handshake.hpp"
#include "edge/peer_link.hpp"
#include "edge/peer_serve.hpp"
#include "edge/tls_opening.hpp"
#include "relay/core/log.hpp"
#include "relay/edge/peer_address.hpp"

namespace relay::edge::peer {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t kPeerResetLimit = 1'000'000'000;

net::TlsContextPtr make_client_tls() {
  net::TlsClientOptions options;
  // The cluster secret proof authenticates a peer, bound to this very TLS channel; edges may
  // use self-signed certificates, so the chain is not what is checked (peer-link.md).
  options.insecure = true;
  return net::make_client_tls_context(options);
}
}  // namespace

PeerNetwork::PeerNetwork(const std::shared_ptr<EdgeState>& state, net::TlsContextPtr server_tls)
    : state_(state),
      state_ref_(*state),
      server_tls_(std::move(server_tls)),
      client_tls_(make_client_tls()),
      routes_(state->options.cluster.route_cache_ttl) {
  const auto& cluster = state->options.cluster;
  acceptor_ = open_acceptor(
      state->executor, parse_listen_address(cluster.peer_listen, "--peer-listen"), "--peer-listen");
  endpoint_ = acceptor_->local_endpoint();
  auto advertise = parse_peer_address(cluster.peer_advertise.empty() ? cluster.peer_listen
                                                                     : cluster.peer_advertise);
  if (!advertise) throw std::runtime_error("--peer-advertise: " + advertise.error().message);
  if (advertise->port == 0) advertise->port = endpoint_.port();  // --peer-listen HOST:0
  directory_ =
      std::make_shared<PeerDirectory>(state->cluster->redis(), cluster.edge_id,
                                      advertise->to_string(), cluster.route_ttl, cluster.heartbeat);
}

void PeerNetwork::start() {
  std::weak_ptr<PeerNetwork> weak = shared_from_this();
  start_accepting(acceptor_, state_ref_.log, "peer",
                  [weak](tcp::socket socket) { return serve_weak(weak, std::move(socket)); });
  directory_->start();
  core::log_event(
      *state_ref_.log, spdlog::level::info, "listening",
      {{"peers", to_string(endpoint_)}, {"edge_id", state_ref_.options.cluster.edge_id}});
}

asio::awaitable<void> PeerNetwork::serve_weak(std::weak_ptr<PeerNetwork> weak, tcp::socket socket) {
  auto self = weak.lock();
  if (self) co_await self->serve(std::move(socket));
}

asio::awaitable<void> PeerNetwork::serve(tcp::socket socket) {
  auto self = shared_from_this();
  auto state = state_.lock();
  if (!state || closed_) co_return;
  auto opening = co_await open_tls(*state, *server_tls_, std::move(socket),
                                   state->options.limits.handshake_timeout, "peer");
  if (!opening) co_return;
  auto& stream = opening->stream;
  const std::string& remote = opening->remote;
  const auto& cluster = state->options.cluster;
  auto proof = co_await prove_as_listener(stream, cluster.secret, cluster.edge_id);
  opening->deadline->disarm();
  if (!proof.ok) {
    // An attack or a misconfigured edge: either way the operator must see it.
    core::log_event(*state->log, spdlog::level::warn, "peer link refused",
                    {{"remote", remote},
                     {"claimed_edge_id", proof.peer_edge_id.empty() ? "-" : proof.peer_edge_id},
                     {"error", proof.error}});
    boost::system::error_code ignored;
    stream.lowest_layer().close(ignored);
    co_return;
  }
  core::log_event(*state->log, spdlog::level::info, "peer link accepted",
                  {{"peer", proof.peer_edge_id}, {"remote", remote}});
  // Each RST_STREAM from the peer stands for a public caller of that edge that went away;
  // nghttp2's rapid-reset limiter (1,000 then 33/s) would let anyone with a tunnel's URL end the
  // link by aborting requests. Callers are limited at the edge they reach, per address; the
  // limit is lifted for the authenticated peer, as the agent lifts it for its edge.
  net::H2Options options = state->h2_options;
  options.reset_burst = kPeerResetLimit;
  options.reset_rate = kPeerResetLimit;
  auto h2 = std::make_shared<net::H2Session>(std::move(stream), net::H2Session::Role::server,
                                             options, std::move(proof.already_read));
  std::weak_ptr<net::H2Session> weak_h2 = h2;
  opening->tracked = state->agent_connections.add({[weak_h2] {
                                                     if (auto s = weak_h2.lock()) s->shutdown();
                                                   },
                                                   [weak_h2] {
                                                     if (auto s = weak_h2.lock()) s->close();
                                                   }});
  const std::string peer_id = proof.peer_edge_id;
  h2->set_stream_handler([state, peer_id](std::shared_ptr<net::H2Stream> in) {
    asio::co_spawn(state->executor, serve_peer_stream(state, std::move(in), peer_id),
                   asio::detached);
  });
  auto end = co_await h2->run();
  core::log_event(*state->log, spdlog::level::info, "peer link ended",
                  {{"peer", peer_id}, {"reason", end ? end.message() : "closed"}});
}

std::shared_ptr<PeerLink> PeerNetwork::link(const std::shared_ptr<EdgeState>& state,
                                            const std::string& edge_id) {
  auto& slot = links_[edge_id];
  if (!slot) slot = std::make_shared<PeerLink>(state, directory_, client_tls_, edge_id);
  return slot;
}

asio::awaitable<std::shared_ptr<StreamTarget>> PeerNetwork::target_for(std::string name,
                                                                       bool& held_elsewhere) {
  held_elsewhere = false;
  auto self = shared_from_this();
  auto state = state_.lock();
  if (!state || closed_ || !state->cluster) co_return nullptr;
  auto edges = routes_.find(name, std::chrono::steady_clock::now());
  if (!edges) {
    if (auto pending = lookups_.find(name); pending != lookups_.end()) {
      auto gate = pending->second;
      co_await gate->async_wait(kAwaitable);
      edges = routes_.find(name, std::chrono::steady_clock::now());
    } else {
      auto gate = std::make_shared<asio::steady_timer>(state->executor,
                                                       asio::steady_timer::time_point::max());
      lookups_[name] = gate;
      auto listed = co_await state->cluster->edges_for(name);
      lookups_.erase(name);
      gate->cancel();
      // Redis unreachable: the edge answers as it would without a cluster.
      if (listed) {
        routes_.store(name, *listed, std::chrono::steady_clock::now());
        edges = std::move(*listed);
      }
    }
  }
  if (!edges) co_return nullptr;
  std::vector<std::string> others;
  for (auto& e : *edges) {
    if (e != state->options.cluster.edge_id) others.push_back(e);
  }
  if (others.empty()) co_return nullptr;
  held_elsewhere = true;
  const std::size_t n = others.size();
  const std::size_t start = next_++;
  // A live link first (no connect on the request's path), then any the backoff lets us try.
  for (std::size_t i = 0; i < n; ++i) {
    auto l = link(state, others[(start + i) % n]);
    if (l->connected()) co_return l;
  }
  for (std::size_t i = 0; i < n; ++i) {
    auto l = link(state, others[(start + i) % n]);
    if (co_await l->ready()) co_return l;
  }
  co_return nullptr;
}

asio::awaitable<void> PeerNetwork::stop() {
  auto self = shared_from_this();
  close_links();
  co_await directory_->stop();
}

void PeerNetwork::close() {
  close_links();
  directory_->close();
}

void PeerNetwork::close_links() {
  closed_ = true;
  boost::system::error_code ignored;
  acceptor_->close(ignored);
  for (auto& [id, l] : links_) l->close();
  links_.clear();  // each link holds the edge's state: no cycle past close
}

}  // namespace relay::edge::peer
