#include "edge/public_connection.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/read.hpp>

#include "edge/acme/certificate_service.hpp"
#include "edge/acme/tls_alpn_challenge.hpp"
#include "edge/agent_session.hpp"
#include "edge/buffered_accept.hpp"
#include "edge/client_address.hpp"
#include "edge/peer_network.hpp"
#include "edge/public_refusal.hpp"
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
      response_deadline_(state_->executor),
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
                  {{"remote", remote_}, {"code", codes::too_many_connections}});
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
    accept_.reset();
    proxy_.reset();
    parser_.reset();
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
    // Into the connection's own buffer: a 4 KiB array here sat in this coroutine's frame for
    // the whole life of every connection (256 KiB of an edge's heap at 64 connections).
    stream_.expires_after(std::chrono::seconds(1));
    for (int i = 0; i < 16; ++i) {
      buffer_.clear();
      auto [drain_ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), kAwaitable);
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

namespace {

// The head as far as the buffer holds it (wait_for_request read its first bytes, or it came
// behind the previous request): what Beast's async_read_header would parse first, here without
// a trip through the scheduler (it posts a completion that needed no I/O: ~2k instructions a
// request). need_more: the rest of the head is still to be read.
boost::system::error_code parse_buffered_head(PublicRequestParser& parser,
                                              beast::flat_buffer& buffer) {
  boost::system::error_code ec = http::error::need_more;
  if (buffer.size() == 0) return ec;
  parser.eager(false);  // as async_read_header: the body is read (or not) by the proxy
  ec = {};
  buffer.consume(parser.put(buffer.data(), ec));
  return ec;
}

// Why a head that parsed cannot be served (nullopt: it can). A plain function, so that its
// pages are not kept in serve_one's coroutine frame.
std::optional<core::ErrorPage> head_error(const http::request_header<>& request,
                                          const PublicRequestParser& parser) {
  // Request smuggling guard (docs/security.md): refused heads close the connection.
  if (auto bad = check_request_head(request, parser.chunked(), parser.content_length());
      bad.status != 0) {
    return core::ErrorPage{bad.status, codes::bad_request, std::move(bad.message)};
  }
  if (auto why = request_target_error(request); !why.empty()) {
    return core::ErrorPage{request.method() == http::verb::connect ? 405 : 400, codes::bad_request,
                           std::move(why)};
  }
  return std::nullopt;
}

}  // namespace

// The rest of a head that did not arrive whole with its first bytes (a slow or large one).
// A coroutine of its own: the read's state stays out of serve_one's frame when it is not needed.
template <class Stream>
asio::awaitable<boost::system::error_code> PublicConnection<Stream>::read_rest_of_head() {
  auto [ec, n] = co_await http::async_read_header(stream_, buffer_, *parser_, kAwaitable);
  co_return ec;
}

// One request: read its head, refuse it or route it, then proxy it live (StreamProxy) or into
// its tunnel's queue (BufferedAccept). The decisions are public_refusal.hpp's; this reads,
// asks the registries and writes. Its frame is allocated per request and Asio recycles only
// frames under ~1 KiB: what need not live across a co_await is in plain functions (head_error,
// refuse_unread, refuse_route), the parser and the proxy are the connection's, and every
// refusal of a routed request takes one co_await.
template <class Stream>
asio::awaitable<bool> PublicConnection<Stream>::serve_one() {
  RequestRecord record{std::chrono::steady_clock::now()};
  const auto& limits = state_->options.limits;
  auto& parser = parser_.emplace();
  parser.header_limit(head_limit_bytes(limits));
  if (limits.max_body_bytes > 0) {
    parser.body_limit(limits.max_body_bytes);
  } else {
    parser.body_limit(boost::none);  // bodies stream: no limit but the app's
  }
  beast::get_lowest_layer(stream_).expires_after(limits.header_timeout);
  auto read_ec = parse_buffered_head(parser, buffer_);
  if (read_ec == http::error::need_more) read_ec = co_await read_rest_of_head();
  if (read_ec) {
    auto why = head_read_refusal(read_ec);
    if (!why) co_return false;  // the connection ended: nobody waits for an answer
    co_return co_await refuse_unread(parser, record, *why, read_ec);
  }

  auto& request = parser.get();
  if (auto page = head_error(request, parser)) {
    co_return co_await answer(parser, record, std::move(*page), false);
  }
  // An error page may keep the connection only when no request body is left unread.
  const bool reusable = keeps_alive(request) && parser.is_done();
  // operations: acme. The CA's HTTP-01 check (GET /.well-known/acme-challenge/TOKEN) is answered
  // before routing, for the edge's own orders in progress only (edge/acme/challenge_responder).
  if (auto acme = acme_challenge_response(*state_, request.target(), reusable); !acme.empty()) {
    auto [ec, written] = co_await asio::async_write(stream_, asio::buffer(acme), kAwaitable);
    co_return !ec && reusable && !draining_;
  }

  Route route = find_route(request);
  if (!route.refusal && route.policy == nullptr && !route.live_here &&
      (state_->peers || state_->cluster)) {
    co_await find_route_elsewhere(route);  // cluster: asked only when this edge has no session
  }
  record.tunnel = route.tunnel.empty() ? "-" : route.tunnel;
  auto destination = Destination::proxy;
  if (!route.refusal) {
    destination = choose_destination(route.policy != nullptr, route.target != nullptr, route.state);
    if (destination == Destination::tunnel_offline) {
      route.refusal = PublicRefusal::tunnel_offline;
    } else if (destination == Destination::agent_disconnected) {
      route.refusal = PublicRefusal::agent_disconnected;
    }
  }
  // Requests in flight per client: one address cannot hold every stream of a session.
  asio::ip::address client;
  std::optional<PerIpCounter::Slot> in_flight;
  if (!route.refusal) {
    client = client_address(request);
    in_flight = state_->requests_per_ip.try_acquire(client);
    if (!in_flight) route.refusal = PublicRefusal::too_many_requests;
  }
  if (route.refusal) co_return co_await refuse_route(parser, record, route, reusable);

  // The app's X-Forwarded-For/X-Real-IP/Forwarded come from this (the agent builds them).
  const std::string trusted_client = trusted_peer_ ? client.to_string() : std::string();
  const std::string_view forwarded_addr = trusted_peer_ ? trusted_client : remote_;
  const auto id = request_id();
  const bool keep_alive = keeps_alive(request) && !draining_;
  if (destination == Destination::buffer) {
    // durable delivery (accept): a buffered tunnel is served whether or not its agent is here.
    auto& accept = accept_.emplace(*state_, stream_, buffer_, parser, *route.policy,
                                   typename BufferedAccept<Stream>::Request{
                                       route.tunnel, id.view(), forwarded_addr, tls_, keep_alive});
    record.outcome = co_await accept.run();
  } else {
    auto& proxy = proxy_.emplace(*state_, stream_, buffer_, parser, std::move(route.target),
                                 typename StreamProxy<Stream>::Request{
                                     route.tunnel, id.view(), forwarded_addr, tls_, keep_alive},
                                 response_deadline_);
    record.outcome = co_await proxy.run();
  }
  log_request(request, record);
  co_return record.outcome.keep_alive && !draining_ && !state_->stopping;
}

// Host → tunnel name → its IP rules, its session here and its buffer policy: what this edge
// knows without asking anyone.
template <class Stream>
typename PublicConnection<Stream>::Route PublicConnection<Stream>::find_route(
    const http::request_header<>& request) {
  Route route;
  route.host = request_authority(request);  // an absolute-form target's wins over Host
  if (route.host.empty()) {
    route.refusal = PublicRefusal::no_host;
    return route;
  }
  auto name = state_->router.route(route.host);
  if (!name) {
    route.refusal = PublicRefusal::unknown_host;
    return route;
  }
  route.tunnel = std::move(*name);
  // The tunnel's IP rules (operations): a refused caller's request never reaches the agent.
  if (const auto* rules = state_->ip_rules.find(route.tunnel);
      rules != nullptr && !rules->permits(client_address(request))) {
    route.refusal = PublicRefusal::ip_denied;
    return route;
  }
  auto found = state_->registry.lookup(route.tunnel, std::chrono::steady_clock::now());
  route.state = found.state;
  route.live_here = found.state == SessionRegistry::State::live && found.session;
  route.target = std::move(found.session);
  route.policy = state_->buffer_policies.find(route.tunnel);
  return route;
}

// cluster: what the other edges know, for a name with no live session and no policy here.
template <class Stream>
asio::awaitable<void> PublicConnection<Stream>::find_route_elsewhere(Route& route) {
  // cluster: peer link. An edge that holds a live session serves it (one hop).
  if (state_->peers) {
    bool held_elsewhere = false;
    route.target = co_await state_->peers->target_for(route.tunnel, held_elsewhere);
    if (!route.target && held_elsewhere) {
      route.refusal = PublicRefusal::peer_unreachable;
      co_return;
    }
  }
  // cluster: queue. Nobody holds the name and this edge knows no policy for it: another edge may
  // have recorded one this edge has not read yet (it just started; it refreshes every 2 s).
  // Asked of Redis only here, on the way to a 404, so live traffic never waits for it.
  if (!route.target && state_->cluster) {
    auto recorded = co_await state_->cluster->policies().lookup(route.tunnel);
    if (!recorded) {
      route.refusal = PublicRefusal::queue_unavailable;
      co_return;
    }
    if (*recorded) {
      state_->buffer_policies.set(route.tunnel, **recorded);
      route.policy = state_->buffer_policies.find(route.tunnel);
    }
  }
}

template <class Stream>
asio::awaitable<bool> PublicConnection<Stream>::refuse(const PublicRequestParser& parser,
                                                       RequestRecord& record, PublicRefusal why,
                                                       const RefusalContext& context,
                                                       bool reusable) {
  auto refusal = refusal_answer(why, context);
  return answer(parser, record, std::move(refusal.page), refusal.keeps_connection && reusable,
                refusal.retry_after);
}

// A head that could not be read (too large, too slow, not HTTP): the parser's complaint is the
// detail. Plain, like refuse: only the answer's coroutine outlives the call.
template <class Stream>
asio::awaitable<bool> PublicConnection<Stream>::refuse_unread(const PublicRequestParser& parser,
                                                              RequestRecord& record,
                                                              PublicRefusal why,
                                                              const boost::system::error_code& ec) {
  const auto detail = ec.message();
  const RefusalContext context{.limits = state_->options.limits, .detail = detail};
  return refuse(parser, record, why, context, false);
}

// A routed request refused for `route.refusal`: the page names its host and tunnel.
template <class Stream>
asio::awaitable<bool> PublicConnection<Stream>::refuse_route(const PublicRequestParser& parser,
                                                             RequestRecord& record,
                                                             const Route& route, bool reusable) {
  const RefusalContext context{.limits = state_->options.limits,
                               .resume_grace = state_->options.resume_grace,
                               .domain = state_->router.domain(),
                               .host = route.host,
                               .tunnel = route.tunnel};
  return refuse(parser, record, *route.refusal, context, reusable);
}

// Relay's own answer: an error page, then the request's log line.
template <class Stream>
asio::awaitable<bool> PublicConnection<Stream>::answer(const PublicRequestParser& parser,
                                                       RequestRecord& record, core::ErrorPage page,
                                                       bool keep_alive, int retry_after) {
  record.outcome.status = page.status;
  record.outcome.error_code = page.code;
  keep_alive = keep_alive && !draining_ && !state_->stopping;
  const auto& request = parser.get();
  auto bytes = render_error_response(page, request[http::field::accept], keep_alive,
                                     request.method() == http::verb::head);
  add_retry_after(bytes, retry_after);
  beast::get_lowest_layer(stream_).expires_after(state_->options.limits.idle_timeout);
  auto [ec, written] = co_await asio::async_write(stream_, asio::buffer(bytes), kAwaitable);
  log_request(request, record);
  co_return keep_alive && !ec;
}

template <class Stream>
void PublicConnection<Stream>::log_request(const http::request_header<>& request,
                                           const RequestRecord& record) const {
  const auto& outcome = record.outcome;
  const auto elapsed = std::chrono::steady_clock::now() - record.started;
  const auto ms = std::chrono::duration<double, std::milli>(elapsed).count();
  state_->metrics.request(
      record.tunnel == "-" ? std::string_view() : std::string_view(record.tunnel), outcome.status,
      outcome.error_code, ms / 1000, outcome.bytes_in, outcome.bytes_out);
  core::log_request_event(
      *state_->log, outcome.status >= 500 ? spdlog::level::warn : spdlog::level::info, "request",
      {{"method", std::string_view(request.method_string())},
       {"path", std::string_view(request.target())},
       {"status", outcome.status},
       {"duration_ms", core::LogValue::milliseconds(elapsed, 1)},
       {"tunnel", record.tunnel},
       {"remote", remote_},
       {"code", outcome.error_code.empty() ? std::string_view("-") : outcome.error_code}});
}

template class PublicConnection<PlainStream>;
template class PublicConnection<SecureStream>;

}  // namespace relay::edge
