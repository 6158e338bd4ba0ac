#include "edge/buffered_accept.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/read.hpp>

#include "edge/agent_session.hpp"
#include "edge/body_rate_guard.hpp"
#include "edge/buffered_exchange.hpp"
#include "edge/buffered_request.hpp"
#include "edge/caller_stream.hpp"
#include "edge/delivery_scheduler.hpp"
#include "edge/public_connection.hpp"
#include "edge/request_head.hpp"
#include "edge/response_head.hpp"
#include "edge/retry_after.hpp"
#include "relay/core/log.hpp"
#include "relay/net/deadline.hpp"
#include "relay/store/error.hpp"
#include "relay/verify/webhook_traits.hpp"

namespace relay::edge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace codes = core::error_codes;

namespace {
constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kGrowStep = 64 * 1024;

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

template <class Stream>
BufferedAccept<Stream>::BufferedAccept(EdgeState& state, Stream& stream, beast::flat_buffer& buffer,
                                       PublicRequestParser& parser, core::BufferPolicy policy,
                                       Request request)
    : state_(state),
      stream_(stream),
      buffer_(buffer),
      parser_(parser),
      policy_(policy),
      request_(request) {
  outcome_.keep_alive = request.keep_alive;
}

template <class Stream>
std::shared_ptr<AgentSession> BufferedAccept<Stream>::live_session() const {
  auto found = state_.registry.lookup(request_.tunnel, std::chrono::steady_clock::now());
  if (found.state != SessionRegistry::State::live) return nullptr;
  return found.session;  // null between open() and attach(): not live yet
}

template <class Stream>
asio::awaitable<ProxyOutcome> BufferedAccept<Stream>::run() {
  const auto& limits = state_.options.limits;
  const auto& request = parser_.get();
  // An announced length over the cap is known before any body byte is read: such a body is
  // never queued, and goes live as on any tunnel when the agent is there.
  if (auto length = parser_.content_length(); length && *length > limits.buffer_max_body) {
    auto session = live_session();
    if (decide({policy_.mode, session != nullptr, false}) == BufferedStep::stream_live) {
      net::Deadline response_deadline(state_.executor);
      StreamProxy<Stream> proxy(state_, stream_, buffer_, parser_, std::move(session),
                                {request_.tunnel, request_.request_id, request_.remote,
                                 request_.tls, request_.keep_alive},
                                response_deadline);
      co_return co_await proxy.run();
    }
    outcome_.keep_alive = false;  // the body stays unread
    co_await answer_error(
        413, codes::body_too_large,
        fmt::format("the request body ({} bytes) is larger than tunnel '{}' can queue while its "
                    "agent is away (the edge's limits.buffer_max_body, {} bytes); send a smaller "
                    "body, or retry once the agent is connected",
                    *length, request_.tunnel, limits.buffer_max_body));
    co_return outcome_;
  }
  if (!parser_.is_done()) {
    if (expects_continue(request) && !co_await write("HTTP/1.1 100 Continue\r\n\r\n")) {
      outcome_.keep_alive = false;
      co_return outcome_;
    }
    if (!co_await read_body()) co_return outcome_;
  }
  received_at_ms_ = unix_ms_now();
  headers_ = make_stream_headers(request, {request_.tls ? "https" : "http", request_.tunnel,
                                           request_.request_id, request_.remote});
  const std::string url = request_url();
  const core::RequestView view{request.method_string(), url, headers_, body_};
  const bool handshake = verify::looks_like_handshake(view);
  event_id_ = verify::event_id(view);

  // Dedupe first: a provider's retry of an event already queued or taken is answered, not
  // stored or sent again.
  std::string earlier;
  if (!event_id_.empty() && policy_.dedupe_window.count() > 0) {
    const auto since =
        received_at_ms_ -
        std::chrono::duration_cast<std::chrono::milliseconds>(policy_.dedupe_window).count();
    auto found = co_await state_.store->deliveries().find_event(std::string(request_.tunnel),
                                                                event_id_, since);
    if (found && *found) earlier = **found;
    // A failed look-up is not fatal: append() checks the window again, and fails itself when
    // the store is really unavailable.
  }
  auto session = live_session();  // after the body: the agent may have come or gone meanwhile
  switch (decide({policy_.mode, session != nullptr, true, handshake, !earlier.empty()})) {
    case BufferedStep::answer_duplicate:
      co_await answer_queued(earlier, true);
      break;
    case BufferedStep::go_live:
      co_await go_live(std::move(session), handshake);
      break;
    case BufferedStep::queue:
      co_await queue(session != nullptr);
      break;
    case BufferedStep::refuse_handshake:
      co_await answer_error(
          503, codes::handshake_unavailable,
          fmt::format("tunnel '{}' queues webhooks while its agent is away, but this is the "
                      "provider's endpoint handshake, which only the agent can answer (it holds "
                      "the secret); retry once the agent is connected",
                      request_.tunnel),
          kBufferedRetryAfterSeconds);
      break;
    case BufferedStep::stream_live:  // only for bodies over the cap, handled above
    case BufferedStep::refuse_too_large:
      break;
  }
  co_return outcome_;
}

template <class Stream>
asio::awaitable<bool> BufferedAccept<Stream>::read_body() {
  auto& lowest = beast::get_lowest_layer(stream_);
  const auto& limits = state_.options.limits;
  const auto length = parser_.content_length();
  // A chunked body has no announced length: the parser stops it at the cap (one byte of room
  // more than the cap, so that it is the parser's limit that trips, not a full buffer).
  std::size_t cap = limits.buffer_max_body;
  if (limits.max_body_bytes > 0) cap = std::min(cap, limits.max_body_bytes);
  if (!length) parser_.body_limit(cap);
  const std::size_t storage = length ? static_cast<std::size_t>(*length) : cap + 1;
  body_.resize(std::min(storage, length ? storage : kGrowStep));
  std::size_t used = 0;

  BodyRateGuard rate(state_.executor, lowest.socket(), limits.body_min_rate,
                     limits.body_rate_grace);
  std::size_t read_room = 0;
  while (!parser_.is_done()) {
    if (used == body_.size()) body_.resize(std::min(storage, body_.size() + kGrowStep));
    if (used == body_.size()) {  // the parser's limit trips first; never spin on no room
      outcome_.keep_alive = false;
      co_await answer_error(413, codes::body_too_large,
                            fmt::format("the request body is larger than tunnel '{}' can queue "
                                        "({} bytes); send a smaller body",
                                        request_.tunnel, cap));
      co_return false;
    }
    auto& body = parser_.get().body();
    body.data = body_.data() + used;
    body.size = body_.size() - used;
    read_room = body.size;
    lowest.expires_after(limits.idle_timeout);
    boost::system::error_code ec;
    if (rate.read_started([&] { return read_room - parser_.get().body().size; })) {
      auto [read_ec, n] = co_await http::async_read(stream_, buffer_, parser_, kAwaitable);
      ec = read_ec;
    }
    const std::size_t got = read_room - parser_.get().body().size;
    rate.read_ended(got);
    used += got;
    if (ec == http::error::need_buffer) ec = {};
    if (rate.too_slow()) {
      outcome_.keep_alive = false;
      co_await answer_error(
          408, codes::request_timeout,
          fmt::format("the request body arrived too slowly (under {} bytes/s after {} s); send "
                      "it faster or in a smaller request",
                      limits.body_min_rate, limits.body_rate_grace.count()));
      co_return false;
    }
    if (!ec) continue;
    outcome_.keep_alive = false;
    if (ec == http::error::body_limit) {
      co_await answer_error(
          413, codes::body_too_large,
          fmt::format("the request body is larger than tunnel '{}' can queue ({} bytes); send a "
                      "smaller body",
                      request_.tunnel, cap));
    } else if (is_malformed_body(ec)) {
      co_await answer_error(400, codes::bad_request,
                            "the request body is not valid chunked encoding (a bad chunk size, "
                            "or chunk data that does not match its size)");
    }
    // Anything else: the caller went away mid-body; nobody to answer.
    co_return false;
  }
  body_.resize(used);
  co_return true;
}

template <class Stream>
asio::awaitable<void> BufferedAccept<Stream>::go_live(std::shared_ptr<AgentSession> session,
                                                      bool handshake) {
  auto exchange = co_await BufferedExchange::send(std::move(session), headers_, body_,
                                                  state_.options.limits.response_timeout);
  const LiveAnswer answer{exchange.failure(), exchange.status(), exchange.relay_error_code()};
  switch (judge_live_answer(answer, handshake)) {
    case LiveVerdict::pass_through: {
      auto written =
          co_await write_response(state_, stream_, exchange, parser_.get(), outcome_.keep_alive);
      outcome_.status = written.status;
      outcome_.error_code = written.error_code;
      outcome_.keep_alive = written.keep_alive;
      if (remember_live_event(written.status, event_id_)) {
        // Failing to remember only weakens dedupe of a later retry; the app has it already.
        co_await state_.store->deliveries().remember_event(std::string(request_.tunnel), event_id_,
                                                           std::string(request_.request_id),
                                                           received_at_ms_);
      }
      co_return;
    }
    case LiveVerdict::queue:
      exchange.abandon();
      co_await queue(true);
      co_return;
    case LiveVerdict::refuse_handshake:
      co_await answer_error(
          503, codes::handshake_unavailable,
          fmt::format("the agent of tunnel '{}' did not answer the provider's endpoint "
                      "handshake ({}); retry in a moment",
                      request_.tunnel, to_string(answer.failure)),
          kBufferedRetryAfterSeconds);
      co_return;
  }
}

template <class Stream>
asio::awaitable<void> BufferedAccept<Stream>::queue(bool session_live) {
  const std::string tunnel(request_.tunnel);
  // `always` with the agent there: stored already leased, and delivered from memory.
  auto scheduler = state_.delivery_scheduler.lock();
  const std::int64_t lease_ms =
      scheduler && session_live && policy_.mode == core::BufferMode::always
          ? scheduler->claim(tunnel)
          : 0;
  std::optional<store::Delivery> handed;
  if (lease_ms != 0) {
    handed.emplace();
    handed->tunnel = tunnel;
    handed->state = store::DeliveryState::delivering;
    handed->headers = headers_;
    handed->body = body_;
    handed->body_bytes = body_.size();
    handed->event_id = event_id_;
    handed->received_at_ms = received_at_ms_;
    handed->expires_at_ms =
        received_at_ms_ +
        std::chrono::duration_cast<std::chrono::milliseconds>(policy_.ttl).count();
    handed->attempts = 1;
  }
  store::NewDelivery delivery{tunnel,           std::move(headers_),
                              std::move(body_), received_at_ms_,
                              event_id_,        lease_ms != 0 ? unix_ms_now() + lease_ms : 0};
  auto appended = co_await state_.store->deliveries().append(std::move(delivery), policy_);
  if (lease_ms != 0) {
    const bool stored = appended && !appended->duplicate;
    if (stored) handed->id = appended->id;
    // The scheduler may have stopped meanwhile; its leases then lapse in the store.
    if (auto s = state_.delivery_scheduler.lock()) {
      s->hand_over(tunnel, stored ? std::move(handed) : std::nullopt);
    }
  }
  if (!appended) {
    const bool full = appended.error() == store::Errc::full;
    core::log_event(*state_.log, spdlog::level::err, "request not queued",
                    {{"tunnel", tunnel},
                     {"code", std::string(full ? codes::queue_full : codes::queue_unavailable)},
                     {"error", appended.error().message()}});
    if (full) {
      co_await answer_error(
          503, codes::queue_full,
          fmt::format("tunnel '{}' cannot queue more webhooks: its queue holds the {} its "
                      "buffer_max allows, or the edge's store is at its size limit; retry later "
                      "(the queue drains while its agent is connected)",
                      tunnel, policy_.max_events),
          kBufferedRetryAfterSeconds);
    } else {
      co_await answer_error(
          503, codes::queue_unavailable,
          fmt::format("the edge cannot store this webhook for tunnel '{}' right now (its "
                      "delivery queue is unavailable; the edge's log says why); retry later",
                      tunnel),
          kBufferedRetryAfterSeconds);
    }
    co_return;
  }
  if (appended->duplicate) {
    co_await answer_queued(appended->id, true);
    co_return;
  }
  core::log_event(*state_.log, spdlog::level::info, "request queued",
                  {{"tunnel", tunnel},
                   {"delivery_id", appended->id},
                   {"reason", std::string(queue_reason(policy_.mode, session_live))}});
  if (lease_ms == 0 && state_.delivery_wakeup) state_.delivery_wakeup(tunnel);
  co_await answer_queued(appended->id, false);
}

template <class Stream>
asio::awaitable<void> BufferedAccept<Stream>::answer_queued(const std::string& delivery_id,
                                                            bool duplicate) {
  outcome_.status = policy_.status;
  outcome_.keep_alive = outcome_.keep_alive && !state_.stopping;
  auto bytes = render_queued_answer(policy_.status, delivery_id, duplicate, outcome_.keep_alive,
                                    parser_.get().method() == http::verb::head);
  if (!co_await write(bytes)) outcome_.keep_alive = false;
}

template <class Stream>
asio::awaitable<void> BufferedAccept<Stream>::answer_error(int status, std::string_view code,
                                                           std::string message, int retry_after) {
  outcome_.status = status;
  outcome_.error_code = code;
  outcome_.keep_alive = outcome_.keep_alive && !state_.stopping;
  // Copied, not moved: clang-tidy 14 reads a later co_await as a use of a moved parameter.
  auto bytes =
      render_error_response({status, code, message}, parser_.get()[http::field::accept],
                            outcome_.keep_alive, parser_.get().method() == http::verb::head);
  add_retry_after(bytes, retry_after);
  if (!co_await write(bytes)) outcome_.keep_alive = false;
  if (!outcome_.keep_alive && !parser_.is_done()) {
    // Let the caller read the answer before its unread upload meets the close.
    stop_sending(stream_);
  }
}

template <class Stream>
asio::awaitable<bool> BufferedAccept<Stream>::write(std::string_view bytes) {
  return write_to_caller(stream_, bytes, state_.options.limits.idle_timeout);
}

// What a provider called, as handshakes and signatures see it: scheme://authority/path?query.
template <class Stream>
std::string BufferedAccept<Stream>::request_url() const {
  std::string url;
  const auto scheme = headers_.get(":scheme").value_or("http");
  const auto authority = headers_.get(":authority").value_or("");
  const auto path = headers_.get(":path").value_or("/");
  url.reserve(scheme.size() + 3 + authority.size() + path.size());
  url.append(scheme).append("://").append(authority).append(path);
  return url;
}

template class BufferedAccept<PlainStream>;
template class BufferedAccept<SecureStream>;

}  // namespace relay::edge
