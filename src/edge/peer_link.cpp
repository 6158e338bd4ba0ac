#include "edge/peer_link.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "edge/edge_state.hpp"
#include "edge/peer_directory.hpp"
#include "edge/peer_handshake.hpp"
#include "edge/peer_protocol.hpp"
#include "relay/core/log.hpp"
#include "relay/edge/peer_address.hpp"
#include "relay/net/deadline.hpp"
#include "relay/net/error.hpp"
#include "relay/net/socket_options.hpp"

namespace relay::edge::peer {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
// TCP connect, TLS and the secret proof together: a peer slower than this is treated as down.
constexpr std::chrono::seconds kConnectTimeout{3};
}  // namespace

PeerLink::PeerLink(std::shared_ptr<EdgeState> state, std::shared_ptr<PeerDirectory> directory,
                   net::TlsContextPtr tls, std::string peer_edge_id)
    : state_(std::move(state)),
      directory_(std::move(directory)),
      tls_(std::move(tls)),
      peer_id_(std::move(peer_edge_id)),
      budget_(state_->executor),
      backoff_(net::BackoffOptions{std::chrono::milliseconds(200), std::chrono::milliseconds(5000),
                                   std::chrono::milliseconds(30'000)}),
      connect_gate_(state_->executor) {}

asio::awaitable<bool> PeerLink::ready() {
  if (h2_ && h2_->is_open()) co_return true;
  if (closed_) co_return false;
  if (connecting_) {
    auto self = shared_from_this();
    while (connecting_ && !closed_) co_await connect_gate_.async_wait(kAwaitable);
  } else {
    if (std::chrono::steady_clock::now() < retry_at_) co_return false;  // backing off
    co_await connect();
  }
  co_return h2_ && h2_->is_open();
}

asio::awaitable<void> PeerLink::connect() {
  auto self = shared_from_this();
  connecting_ = true;
  connect_gate_.expires_at(asio::steady_timer::time_point::max());
  const std::string why = co_await connect_once();
  connecting_ = false;
  connect_gate_.cancel();
  if (!why.empty()) {
    failed(why);
    co_return;
  }
  backoff_.reset();
  core::log_event(*state_->log, spdlog::level::info,
                  reported_down_ ? "peer link up again" : "peer link connected",
                  {{"peer", peer_id_}});
  reported_down_ = false;
}

void PeerLink::failed(const std::string& why) {
  retry_at_ = std::chrono::steady_clock::now() + backoff_.next();
  // One warning per outage; the retries in between at debug.
  core::log_event(*state_->log, reported_down_ ? spdlog::level::debug : spdlog::level::warn,
                  "peer link failed",
                  {{"peer", peer_id_},
                   {"error", why},
                   {"effect", "requests for tunnels held only by that edge are answered 502"}});
  reported_down_ = true;
}

asio::awaitable<std::string> PeerLink::connect_once() {
  auto address = co_await directory_->address_of(peer_id_);
  if (!address)
    co_return "cannot read its peer address from Redis (" + address.error().message() + ")";
  if (!*address) co_return "it publishes no peer address (started without --peer-listen?)";
  auto target = parse_peer_address(**address);
  if (!target) co_return "its published address: " + target.error().message;

  net::TlsStream stream(tcp::socket(state_->executor), *tls_);
  auto close_socket = [&stream] {
    boost::system::error_code ignored;
    stream.lowest_layer().close(ignored);
  };
  net::Deadline deadline(state_->executor);
  deadline.arm(kConnectTimeout, close_socket);
  tcp::resolver resolver(state_->executor);
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(target->host, std::to_string(target->port), kAwaitable);
  if (resolve_ec) co_return "cannot resolve " + target->to_string() + ": " + resolve_ec.message();
  auto [connect_ec, endpoint] =
      co_await asio::async_connect(stream.next_layer(), endpoints, kAwaitable);
  if (connect_ec)
    co_return "cannot connect to " + target->to_string() + ": " + connect_ec.message();
  net::tune_socket(stream.next_layer());
  // The secret proof authenticates the peer, not its certificate (edges may use self-signed
  // ones): verification is off here on purpose (docs/cluster.md, "The peer link").
  net::prepare_client_stream(stream, target->host, false);
  auto [hs_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kAwaitable);
  if (hs_ec) co_return "TLS handshake with " + target->to_string() + " failed: " + hs_ec.message();
  const auto& cluster = state_->options.cluster;
  auto proof = co_await prove_as_dialer(stream, cluster.secret, cluster.edge_id, peer_id_);
  deadline.disarm();
  if (!proof.ok) {
    core::log_event(*state_->log, spdlog::level::warn, "peer link authentication failed",
                    {{"peer", peer_id_}, {"address", target->to_string()}, {"error", proof.error}});
    close_socket();
    co_return proof.error;
  }
  auto h2 = std::make_shared<net::H2Session>(std::move(stream), net::H2Session::Role::client,
                                             state_->h2_options, std::move(proof.already_read));
  h2_ = h2;
  asio::co_spawn(
      state_->executor, [self = shared_from_this(), h2]() { return self->run_session(h2); },
      asio::detached);
  co_return std::string();
}

asio::awaitable<void> PeerLink::run_session(std::shared_ptr<net::H2Session> h2) {
  auto ec = co_await h2->run();
  if (h2_ == h2) h2_.reset();
  if (!closed_) {
    core::log_event(*state_->log, spdlog::level::info, "peer link closed",
                    {{"peer", peer_id_}, {"reason", ec ? ec.message() : "closed"}});
  }
}

void PeerLink::close() {
  closed_ = true;
  connect_gate_.cancel();
  if (h2_) h2_->close();
}

asio::awaitable<StreamBudget::Ticket> PeerLink::reserve_stream() {
  auto self = shared_from_this();
  const std::function<std::size_t()> limit = [this] {
    return h2_ ? std::max<std::size_t>(h2_->peer_max_concurrent_streams(), 1) : 1;
  };
  // Named, not temporaries, in the co_await expression (a GCC 12 coroutine bug).
  const auto deadline = std::chrono::steady_clock::now() + state_->options.limits.stream_wait;
  auto ticket = co_await budget_.acquire(limit, deadline);
  co_return ticket;
}

core::Result<std::shared_ptr<net::H2Stream>> PeerLink::open_stream(core::Headers headers,
                                                                   bool end_stream,
                                                                   net::FieldNames names) {
  if (!h2_ || !h2_->is_open()) return make_error_code(net::Errc::session_closed);
  // The hop marker: the owning edge serves the stream locally and never forwards it again.
  // A lower-case name: what the caller vouched for its names still holds.
  headers.add(std::string(kHopHeader), state_->options.cluster.edge_id);
  return h2_->open_stream(std::move(headers), end_stream, names);
}

}  // namespace relay::edge::peer
