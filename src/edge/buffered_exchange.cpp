#include "edge/buffered_exchange.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include "edge/agent_session.hpp"
#include "edge/public_connection.hpp"
#include "edge/response_head.hpp"
#include "relay/net/deadline.hpp"
#include "relay/net/error.hpp"

namespace relay::edge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace codes = core::error_codes;

namespace {
constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);

ExchangeFailure failure_of(const core::error_code& ec, bool timed_out) {
  if (timed_out) return ExchangeFailure::timeout;
  if (ec == net::Errc::refused) return ExchangeFailure::refused;
  if (ec == net::Errc::stream_reset) return ExchangeFailure::reset;
  return ExchangeFailure::session_lost;
}

const core::Headers& no_headers() {
  static const core::Headers empty;
  return empty;
}
}  // namespace

std::string_view to_string(ExchangeFailure failure) {
  switch (failure) {
    case ExchangeFailure::none:
      return "none";
    case ExchangeFailure::busy:
      return "busy";
    case ExchangeFailure::refused:
      return "refused";
    case ExchangeFailure::session_lost:
      return "session_lost";
    case ExchangeFailure::reset:
      return "reset";
    case ExchangeFailure::timeout:
      return "timeout";
  }
  return "unknown";
}

asio::awaitable<BufferedExchange> BufferedExchange::send(
    std::shared_ptr<AgentSession> session, const core::Headers& headers, std::string_view body,
    std::chrono::steady_clock::duration timeout) {
  BufferedExchange exchange;
  exchange.session_ = std::move(session);
  exchange.ticket_ = co_await exchange.session_->reserve_stream();
  if (!exchange.ticket_.valid()) {
    exchange.failure_ = ExchangeFailure::busy;
    co_return exchange;
  }
  auto opened = exchange.session_->open_stream(headers, body.empty(), net::FieldNames::any_case);
  if (!opened) {
    exchange.failure_ = opened.error() == net::Errc::refused ? ExchangeFailure::refused
                                                             : ExchangeFailure::session_lost;
    co_return exchange;
  }
  auto h2 = *opened;
  exchange.stream_ = h2;
  // From when the session has the request: an app that neither reads the body nor answers
  // runs into it as well as one that reads and never answers.
  bool timed_out = false;
  net::Deadline deadline(co_await asio::this_coro::executor);
  deadline.arm(timeout, [&timed_out, h2] {
    timed_out = true;
    h2->reset();
  });
  core::error_code ec;
  if (!body.empty()) ec = co_await h2->write(body, true);  // framed from `body` itself
  if (!ec) ec = co_await h2->wait_headers();
  deadline.disarm();
  if (ec) {
    exchange.failure_ = failure_of(ec, timed_out);
    exchange.stream_.reset();
  }
  co_return exchange;
}

BufferedExchange::~BufferedExchange() { abandon(); }

void BufferedExchange::abandon() {
  if (stream_ && !stream_->closed() && !stream_->body_complete()) stream_->reset();
  stream_.reset();
}

int BufferedExchange::status() const { return stream_ ? stream_->status() : 0; }

const core::Headers& BufferedExchange::headers() const {
  return stream_ ? stream_->headers() : no_headers();
}

std::string_view BufferedExchange::relay_error_code() const {
  return headers().get(core::kRelayErrorCodeHeader).value_or(std::string_view());
}

asio::awaitable<BufferedExchange::Body> BufferedExchange::read_body(std::size_t cap) {
  Body out;
  if (!stream_) {
    out.error = net::make_error_code(net::Errc::session_closed);
    co_return out;
  }
  std::string chunk;
  for (;;) {
    auto ec = co_await stream_->read(chunk);
    if (ec) {
      out.error = ec;
      break;
    }
    if (chunk.empty()) break;  // the body is complete
    const std::size_t room = cap - out.bytes.size();
    if (chunk.size() > room) {
      out.bytes.append(chunk, 0, room);
      out.truncated = true;
      break;
    }
    out.bytes += chunk;
  }
  abandon();  // resets the stream only when its body was not read to the end
  co_return out;
}

template <class Stream>
asio::awaitable<WrittenResponse> write_response(EdgeState& state, Stream& stream,
                                                BufferedExchange& exchange,
                                                const http::request_header<>& request,
                                                bool keep_alive) {
  WrittenResponse written;
  const auto& h2 = exchange.stream();
  if (!h2) co_return written;
  const int status = h2->status();
  const auto& headers = h2->headers();
  auto plan = plan_response(status, headers, request.method() == http::verb::head,
                            request.version(), keep_alive && !state.stopping);
  written.status = status;
  written.keep_alive = plan.keep_alive;
  if (auto code = exchange.relay_error_code(); !code.empty()) {
    for (auto known : {codes::upstream_refused, codes::upstream_timeout, codes::upstream_failed,
                       codes::signature_invalid, codes::body_too_large}) {
      if (code == known) written.error_code = known;
    }
  }
  auto write = [&](std::string_view bytes) -> asio::awaitable<bool> {
    beast::get_lowest_layer(stream).expires_after(state.options.limits.idle_timeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), kAwaitable);
    co_return !ec;
  };
  std::string out = render_response_head(status, headers, plan, request.version());
  if (plan.framing == Framing::none) {
    exchange.abandon();  // a body the caller must not get
    if (!co_await write(out)) written.keep_alive = false;
    co_return written;
  }
  std::optional<std::uint64_t> expected;
  if (plan.framing == Framing::content_length) expected = headers.content_length();
  std::uint64_t sent = 0;
  std::string chunk;
  for (;;) {
    auto ec = co_await h2->read(chunk);
    if (ec) {
      // The head may be out already: only closing tells the caller the body is cut.
      if (!out.empty()) co_await write(out);
      written.keep_alive = false;
      co_return written;
    }
    const bool complete = chunk.empty();
    sent += chunk.size();
    if (plan.framing == Framing::chunked) {
      append_chunk(out, chunk);
      if (complete) out += kLastChunk;
    } else {
      out += chunk;
    }
    if (!out.empty() && !co_await write(out)) {
      written.keep_alive = false;
      exchange.abandon();
      co_return written;
    }
    out.clear();
    if (complete) break;
  }
  if (expected && sent != *expected) written.keep_alive = false;
  co_return written;
}

template asio::awaitable<WrittenResponse> write_response<PlainStream>(EdgeState&, PlainStream&,
                                                                      BufferedExchange&,
                                                                      const http::request_header<>&,
                                                                      bool);
template asio::awaitable<WrittenResponse> write_response<SecureStream>(
    EdgeState&, SecureStream&, BufferedExchange&, const http::request_header<>&, bool);

}  // namespace relay::edge
