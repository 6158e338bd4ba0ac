#include "edge/public_connection.hpp"

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>

#include "edge/acme/certificate_service.hpp"
#include "edge/acme/tls_alpn_challenge.hpp"
#include "edge/agent_session.hpp"
#include "edge/buffered_accept.hpp"
#include "edge/client_address.hpp"
#include "edge/peer_network.hpp"
#include "edge/request_head.hpp"
#include "edge/response_head.hpp"
#include "edge/retry_after.hpp"
#include "edge/stream_proxy.hpp"
#include "relay/core/log.hpp"

namespace relay::edge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace codes = core::error_codes;

namespace {
constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);

bool is_benign_end(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::bad_descriptor || ec == beast::error::timeout ||
         ec == asio::ssl::error::stream_truncated;
}
}  // namespace

template <class Stream>
PublicConnection<Stream>::PublicConnection(std::shared_ptr<EdgeState> state, Stream stream,
                                           std::string remote, const asio::ip::address& peer,
                                           std::optional<PendingHandshake> pending, bool tls)
    : state_(std::move(state)),
      stream_(std::move(stream)),
      remote_(std::move(remote)),
      peer_(canonical_address(peer)),
      pending_(std::move(pending)),
      tls_(tls) {
  trusted_peer_ = state_->trusted_proxies.contains(peer_);
}

// The address the per-client caps and the app's X-Forwarded-For use: the socket's, or for a
// trusted load balancer what its X-Forwarded-For says (client_address.hpp).
template <class Stream>
asio::ip::address PublicConnection<Stream>::client_address(
    const http::request_header<>& request) const {
  if (!trusted_peer_) return peer_;
  std::vector<std::string_view> forwarded_for;
  auto [first, last] = request.equal_range("X-Forwarded-For");
  for (auto it = first; it != last; ++it) forwarded_for.push_back(it->value());
  return decide_client_address(peer_, forwarded_for, state_->trusted_proxies);
}

// Over the per-address connection cap: a 429 at once, without reading the request (that is
// what would cost), then a short, bounded drain so the close does not reset the answer away.
template <class Stream>
asio::awaitable<void> PublicConnection<Stream>::refuse_connection() {
  auto bytes = render_error_response(
      {429, codes::too_many_connections,
       fmt::format("this address has {} connections open to the edge, the most it allows; close "
                   "some or retry later",
                   state_->options.limits.max_connections_per_ip)},
      "", false, false);
  add_retry_after(bytes, 1);
  auto& lowest = beast::get_lowest_layer(stream_);
  lowest.expires_after(std::chrono::seconds(1));
  auto [ec, written] = co_await asio::async_write(stream_, asio::buffer(bytes), kAwaitable);
  core::log_event(*state_->log, spdlog::level::debug, "connection refused",
                  {{"remote", remote_}, {"code", std::string(codes::too_many_connections)}});
  if (ec) co_return;
  boost::system::error_code ignored;
  lowest.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  std::array<char, 4096> sink{};
  for (int i = 0; i < 16; ++i) {
    auto [read_ec, n] = co_await lowest.async_read_some(asio::buffer(sink), kAwaitable);
    if (read_ec) break;
  }
}

template <class Stream>
void PublicConnection<Stream>::close_socket() {
  boost::system::error_code ignored;
  beast::get_lowest_layer(stream_).socket().close(ignored);
}

template <class Stream>
asio::awaitable<void> PublicConnection<Stream>::run() {
  auto tracked = state_->public_connections.add({[this] {
                                                   draining_ = true;
                                                   if (idle_) close_socket();
                                                 },
                                                 [this] { close_socket(); }});
  if constexpr (std::is_same_v<Stream, SecureStream>) {
    if (pending_) {
      beast::get_lowest_layer(stream_).expires_at(pending_->deadline);
    } else {
      beast::get_lowest_layer(stream_).expires_after(state_->options.limits.handshake_timeout);
    }
    auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, kAwaitable);
    pending_.reset();
    if (ec) co_return;
    if (acme::negotiated_acme_tls(stream_.native_handle())) {
      // The CA validated a TLS-ALPN-01 challenge with the handshake itself; no HTTP follows.
      const char* host = SSL_get_servername(stream_.native_handle(), TLSEXT_NAMETYPE_host_name);
      core::log_event(*state_->log, spdlog::level::info, "acme tls-alpn-01 challenge answered",
                      {{"host", host != nullptr ? host : ""}, {"remote", peer_.to_string()}});
      boost::system::error_code ignored;
      stream_.shutdown(ignored);
      close_socket();
      co_return;
    }
  }
  if (!trusted_peer_) {
    connection_slot_ = state_->connections_per_ip.try_acquire(peer_);
    if (!connection_slot_) {
      co_await refuse_connection();
      close_socket();
      co_return;
    }
  }
  while (!draining_ && co_await wait_for_request()) {
    idle_ = false;
    bool again = co_await serve_one();
    idle_ = true;
    // An upload grew the buffer: an idle keep-alive connection holds only what is left in it.
    if (buffer_.capacity() > 16 * 1024) buffer_.shrink_to_fit();
    if (!again) break;
  }
  boost::system::error_code ignored;
  if constexpr (std::is_same_v<Stream, SecureStream>) {
    // close_notify, bounded: a caller that never answers it must not hold the connection.
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(1));
    co_await stream_.async_shutdown(kAwaitable);
  } else {
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    // A caller still sending (a body the edge refused, 408 or 413) would get a reset for its
    // unread bytes, and a reset discards the answer it has not read yet: drain briefly first.
    stream_.expires_after(std::chrono::seconds(1));
    std::array<char, 4096> sink{};
    for (int i = 0; i < 16; ++i) {
      auto [drain_ec, n] = co_await stream_.async_read_some(asio::buffer(sink), kAwaitable);
      if (drain_ec) break;
    }
  }
  close_socket();
}

// Idle keep-alive time ends when the first byte of the next request arrives; from there the
// whole head must arrive within header_timeout (slow-loris guard).
template <class Stream>
asio::awaitable<bool> PublicConnection<Stream>::wait_for_request() {
  if (buffer_.size() > 0) co_return true;
  beast::get_lowest_layer(stream_).expires_after(state_->options.limits.idle_timeout);
  auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), kAwaitable);
  if (ec) co_return false;
  buffer_.commit(n);
  co_return true;
}

template <class Stream>
asio::awaitable<bool> PublicConnection<Stream>::serve_one() {
  const auto started = std::chrono::steady_clock::now();
  const auto& limits = state_->options.limits;
  PublicRequestParser parser;
  parser.header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
  if (limits.max_body_bytes > 0) {
    parser.body_limit(limits.max_body_bytes);
  } else {
    parser.body_limit(boost::none);  // bodies stream: no limit but the app's
  }
  beast::get_lowest_layer(stream_).expires_after(limits.header_timeout);
  auto [read_ec, n] = co_await http::async_read_header(stream_, buffer_, parser, kAwaitable);

  std::string tunnel = "-";
  ProxyOutcome outcome;
  auto log_request = [&] {
    const auto& req = parser.get();
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                  .count();
    state_->metrics.request(tunnel == "-" ? std::string_view() : std::string_view(tunnel),
                            outcome.status, outcome.error_code, ms / 1000, outcome.bytes_in,
                            outcome.bytes_out);
    core::log_request_event(
        *state_->log, outcome.status >= 500 ? spdlog::level::warn : spdlog::level::info, "request",
        {{"method", std::string(req.method_string())},
         {"path", std::string(req.target())},
         {"status", std::to_string(outcome.status)},
         {"duration_ms", fmt::format("{:.1f}", ms)},
         {"tunnel", tunnel},
         {"remote", remote_},
         {"code", outcome.error_code.empty() ? "-" : std::string(outcome.error_code)}});
  };
  int retry_after = 0;  // seconds, for a 429 or 503
  auto answer = [&](int status, std::string_view code, std::string message,
                    bool keep_alive) -> asio::awaitable<bool> {
    outcome.status = status;
    outcome.error_code = code;
    keep_alive = keep_alive && !draining_ && !state_->stopping;
    auto bytes =
        render_error_response({status, code, std::move(message)}, parser.get()[http::field::accept],
                              keep_alive, parser.get().method() == http::verb::head);
    add_retry_after(bytes, retry_after);
    beast::get_lowest_layer(stream_).expires_after(limits.idle_timeout);
    auto [ec, written] = co_await asio::async_write(stream_, asio::buffer(bytes), kAwaitable);
    log_request();
    co_return keep_alive && !ec;
  };

  if (read_ec) {
    if (is_benign_end(read_ec)) co_return false;
    if (read_ec == http::error::header_limit) {
      co_return co_await answer(
          431, codes::headers_too_large,
          fmt::format("the request head is larger than this edge accepts ({} bytes); "
                      "send fewer or smaller headers",
                      limits.max_header_bytes),
          false);
    }
    if (read_ec == http::error::body_limit) {
      co_return co_await answer(
          413, codes::body_too_large,
          fmt::format("the request body is larger than this edge accepts ({} bytes)",
                      limits.max_body_bytes),
          false);
    }
    co_return co_await answer(400, codes::bad_request,
                              "the request is not valid HTTP/1.1 (" + read_ec.message() + ")",
                              false);
  }

  auto& request = parser.get();
  // An error page may keep the connection only when no request body is left unread.
  const bool reusable = request.keep_alive() && parser.is_done();
  auto reusable_after_body = [&] { return request.keep_alive() && !draining_; };
  auto too_many_requests = [&]() -> asio::awaitable<bool> {
    retry_after = 1;
    co_return co_await answer(
        429, codes::too_many_requests,
        fmt::format("this address has {} requests in flight through the edge, the most it "
                    "allows; wait for answers before sending more",
                    limits.max_requests_per_ip),
        reusable);
  };
  // Request smuggling guard (docs/security.md): refused heads close the connection.
  if (auto bad = check_request_head(request, parser.chunked(), parser.content_length());
      bad.status != 0) {
    co_return co_await answer(bad.status, codes::bad_request, std::move(bad.message), false);
  }
  if (auto why = request_target_error(request); !why.empty()) {
    co_return co_await answer(request.method() == http::verb::connect ? 405 : 400,
                              codes::bad_request, why, false);
  }
  // operations: acme. The CA's HTTP-01 check (GET /.well-known/acme-challenge/TOKEN) is answered
  // before routing, for the edge's own orders in progress only (edge/acme/challenge_responder).
  if (auto acme = acme_challenge_response(*state_, request.target(), reusable); !acme.empty()) {
    auto [ec, written] = co_await asio::async_write(stream_, asio::buffer(acme), kAwaitable);
    co_return !ec && reusable && !draining_;
  }
  auto host = request_authority(request);  // an absolute-form target's wins over Host
  if (host.empty()) {
    co_return co_await answer(400, codes::bad_request,
                              "the request has no Host header; relay routes by host name (NAME." +
                                  state_->router.domain() + ")",
                              false);
  }
  auto name = state_->router.route(host);
  if (!name) {
    co_return co_await answer(
        404, codes::tunnel_not_found,
        fmt::format("no tunnel serves the host '{}'. Tunnels are NAME.{}; start one with "
                    "'relay http 3000 --url NAME' and check the URL it prints",
                    host, state_->router.domain()),
        reusable);
  }
  tunnel = *name;
  // The tunnel's IP rules (operations): a refused caller's request never reaches the agent.
  if (const auto* rules = state_->ip_rules.find(*name);
      rules != nullptr && !rules->permits(client_address(request))) {
    co_return co_await answer(
        403, codes::ip_denied,
        fmt::format("tunnel '{}' does not accept requests from your address (its ip_allow / "
                    "ip_deny rules); ask the tunnel's owner to allow it",
                    *name),
        reusable);
  }
  auto found = state_->registry.lookup(*name, std::chrono::steady_clock::now());
  const core::BufferPolicy* policy = state_->buffer_policies.find(*name);
  std::shared_ptr<StreamTarget> target = found.session;
  const bool live_here = found.state == SessionRegistry::State::live && found.session;
  // cluster: peer link. No live session here: an edge that holds one serves it (one hop).
  if (policy == nullptr && !live_here && state_->peers) {
    bool held_elsewhere = false;
    target = co_await state_->peers->target_for(*name, held_elsewhere);
    if (!target && held_elsewhere) {
      co_return co_await answer(
          502, codes::agent_session_lost,
          fmt::format("tunnel '{}' is held by another edge of the cluster, which this edge cannot "
                      "reach over the peer link right now; retry in a moment",
                      *name),
          reusable);
    }
  }
  // cluster: queue. Nobody holds the name and this edge knows no policy for it: another edge may
  // have recorded one this edge has not read yet (it just started; it refreshes every 2 s).
  // Asked of Redis only here, on the way to a 404, so live traffic never waits for it.
  if (policy == nullptr && !target && state_->cluster) {
    auto recorded = co_await state_->cluster->policies().lookup(*name);
    if (!recorded) {
      retry_after = 30;
      co_return co_await answer(
          503, codes::queue_unavailable,
          fmt::format("the edge cannot reach the cluster's Redis to find tunnel '{}' right now; "
                      "retry later",
                      *name),
          reusable);
    }
    if (*recorded) {
      state_->buffer_policies.set(*name, **recorded);
      policy = state_->buffer_policies.find(*name);
    }
  }
  // durable delivery (accept): a buffered tunnel is served whether or not its agent is here.
  if (policy != nullptr) {
    const auto client = client_address(request);
    auto in_flight = state_->requests_per_ip.try_acquire(client);
    if (!in_flight) co_return co_await too_many_requests();
    const std::string forwarded_addr = trusted_peer_ ? client.to_string() : remote_;
    const std::string id = request_id();
    BufferedAccept<Stream> accept(*state_, stream_, buffer_, parser, *policy,
                                  {*name, id, forwarded_addr, tls_, reusable_after_body()});
    outcome = co_await accept.run();
    log_request();
    co_return outcome.keep_alive && !draining_ && !state_->stopping;
  }
  if (!target && found.state == SessionRegistry::State::not_found) {
    co_return co_await answer(
        404, codes::tunnel_not_found,
        fmt::format("tunnel '{}' is not online. Start it with 'relay http 3000 --url {}' (or check "
                    "the URL the agent printed)",
                    *name, *name),
        reusable);
  }
  if (!target) {
    co_return co_await answer(
        502, codes::agent_session_lost,
        fmt::format(
            "the agent serving tunnel '{}' is disconnected; it keeps its URL if it reconnects "
            "within {} s",
            *name, state_->options.resume_grace.count()),
        reusable);
  }

  // Requests in flight per client: one address cannot hold every stream of a session.
  const auto client = client_address(request);
  auto in_flight = state_->requests_per_ip.try_acquire(client);
  if (!in_flight) co_return co_await too_many_requests();
  // The app's X-Forwarded-For/X-Real-IP/Forwarded come from this (the agent builds them).
  const std::string forwarded_addr = trusted_peer_ ? client.to_string() : remote_;
  const std::string id = request_id();
  StreamProxy<Stream> proxy(*state_, stream_, buffer_, parser, std::move(target),
                            {*name, id, forwarded_addr, tls_, reusable_after_body()});
  outcome = co_await proxy.run();
  log_request();
  co_return outcome.keep_alive && !draining_ && !state_->stopping;
}

template class PublicConnection<PlainStream>;
template class PublicConnection<SecureStream>;

}  // namespace relay::edge
