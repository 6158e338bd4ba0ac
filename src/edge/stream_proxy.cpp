#include "edge/stream_proxy.hpp"

#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/read.hpp>

#include "edge/agent_session.hpp"
#include "edge/body_rate_guard.hpp"
#include "edge/caller_stream.hpp"
#include "edge/proxy_answer.hpp"
#include "edge/public_connection.hpp"
#include "edge/request_head.hpp"
#include "edge/response_head.hpp"
#include "edge/retry_after.hpp"
#include "relay/net/error.hpp"

namespace relay::edge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr int kBusyRetryAfterSeconds = 5;

}  // namespace

template <class Stream>
StreamProxy<Stream>::StreamProxy(EdgeState& state, Stream& stream, beast::flat_buffer& buffer,
                                 PublicRequestParser& parser, std::shared_ptr<StreamTarget> session,
                                 Request request, net::Deadline& response_deadline)
    : state_(state),
      stream_(stream),
      buffer_(buffer),
      parser_(parser),
      session_(std::move(session)),
      request_(request),
      response_deadline_(response_deadline) {
  outcome_.keep_alive = request.keep_alive;
}

// The deadline outlives this proxy: its action (which resets this proxy's stream) must not.
template <class Stream>
StreamProxy<Stream>::~StreamProxy() {
  response_deadline_.disarm();
}

template <class Stream>
asio::awaitable<ProxyOutcome> StreamProxy<Stream>::run() {
  using namespace asio::experimental::awaitable_operators;
  const auto& request = parser_.get();
  const bool has_body = !parser_.is_done();
  ForwardContext context{request_.tls ? "https" : "http", request_.tunnel, request_.request_id,
                         request_.remote};
  // Every stream the agent allows may be taken (slow uploads, a flood): wait a bounded time,
  // then tell the caller to come back, rather than queueing it inside nghttp2 with no deadline.
  stream_ticket_ = session_->try_reserve_stream();  // a free place: no coroutine to wait in
  if (!stream_ticket_.valid()) {
    auto ticket = co_await session_->reserve_stream();
    stream_ticket_ = std::move(ticket);
  }
  if (!stream_ticket_.valid()) {
    retry_after_ = kBusyRetryAfterSeconds;
    co_await respond_error(busy_page(request_.tunnel));
    if (has_body) outcome_.keep_alive = false;
    co_return outcome_;
  }
  // make_stream_headers writes every name in lower case.
  auto opened = session_->open_stream(make_stream_headers(request, context), !has_body,
                                      net::FieldNames::lower_case);
  if (!opened) {
    co_await respond_error(open_failure_page(opened.error(), request_.tunnel, holder()));
    if (has_body) outcome_.keep_alive = false;
    co_return outcome_;
  }
  h2_ = *opened;
  if (has_body && expects_continue(request)) {
    // The edge answers for the app: routing worked, so the client may send the body. Expect
    // itself is not forwarded (HTTP/2 has no 100-continue handshake on our side).
    if (!co_await write("HTTP/1.1 100 Continue\r\n\r\n")) {
      h2_->reset();
      outcome_.keep_alive = false;
      co_return outcome_;
    }
  }
  if (has_body) {
    // Sized to the body when its length is known (a webhook is a few KiB) and left
    // uninitialised: zero-filling 64 KiB per request was a third of the edge's instructions.
    auto length = parser_.content_length();
    upload_size_ =
        upload_buffer_size(length ? std::optional<std::uint64_t>(*length) : std::nullopt);
    if (length && buffer_.size() >= *length) {
      // The whole body is already read (a typical webhook): the upload needs no network wait,
      // so it runs before respond() and the parallel group's frames and allocations are saved.
      co_await upload();
      co_await respond();
    } else {
      co_await (upload() && respond());
    }
  } else {
    upload_done_ = true;
    arm_response_deadline();
    co_await respond();
  }
  if (!upload_done_) outcome_.keep_alive = false;  // unread body bytes: the connection is unusable
  co_return outcome_;
}

template <class Stream>
asio::awaitable<void> StreamProxy<Stream>::upload() {
  auto& lowest = beast::get_lowest_layer(stream_);
  const auto length = parser_.content_length();
  const bool all_buffered = length && buffer_.size() >= *length;
  const auto& limits = state_.options.limits;
  // A body already read whole (a typical webhook) takes no reading time from the caller, so it
  // needs no rate guard (its timer cost ~1.4k instructions per request).
  std::optional<BodyRateGuard> rate;
  if (!all_buffered) {
    rate.emplace(state_.executor, lowest.socket(), limits.body_min_rate, limits.body_rate_grace);
  }
  if (length && !parser_.chunked()) {
    co_await upload_sized(*length, rate);
    co_return;
  }
  if (buffer_.capacity() < kUploadChunk) {
    // Beast reads as much as the buffer holds: at the 4 KiB of a request head, a 1 MiB chunked
    // body took 256 reads. The connection gives the room back after the request.
    buffer_.reserve(kUploadChunk);
  }
  upload_buffer_.reset(new char[upload_size_]);
  while (!parser_.is_done()) {
    auto& body = parser_.get().body();
    body.data = upload_buffer_.get();
    body.size = upload_size_;
    if (!before_body_read(rate, [this] { return upload_size_ - parser_.get().body().size; })) {
      co_return;
    }
    auto [ec, n] = co_await http::async_read(stream_, buffer_, parser_, kAwaitable);
    const std::size_t got = upload_size_ - parser_.get().body().size;
    if (ec == http::error::need_buffer) ec = {};
    if (!after_body_read(rate, ec, got)) co_return;  // too large, malformed, too slow, gone
    if (got == 0 && !parser_.is_done()) continue;
    // write() waits while the agent's window is closed: a slow app slows the caller's upload.
    if (co_await h2_->write({upload_buffer_.get(), got}, parser_.is_done())) co_return;
  }
  upload_done_ = true;
  arm_response_deadline();
}

template <class Stream>
bool StreamProxy<Stream>::before_body_read(std::optional<BodyRateGuard>& rate,
                                           std::function<std::size_t()> filled) {
  beast::get_lowest_layer(stream_).expires_after(state_.options.limits.idle_timeout);
  if (!rate || rate->read_started(std::move(filled))) return true;
  upload_error_ = UploadError::too_slow;
  h2_->reset();
  return false;
}

template <class Stream>
bool StreamProxy<Stream>::after_body_read(std::optional<BodyRateGuard>& rate, core::error_code ec,
                                          std::size_t got) {
  if (rate) rate->read_ended(got);
  if (ec) {
    upload_error_ = classify_upload_error(ec, rate && rate->too_slow());
    h2_->reset();
    return false;
  }
  outcome_.bytes_in += got;
  return true;
}

template <class Stream>
void StreamProxy<Stream>::arm_response_deadline() {
  // From the moment the app has the whole request: a long upload to a slow app is progress,
  // not a timeout.
  if (h2_->closed() || h2_->status() != 0) return;
  response_deadline_.arm(state_.options.limits.response_timeout, [this] {
    timed_out_ = true;
    h2_->reset();
  });
}

// A Content-Length body, without the parser: what came with the head (all of a typical
// webhook) goes to the agent from the connection's buffer, the rest straight from the socket
// through the upload buffer. Through the parser's buffer_body every byte was copied once more.
// The parser never sees these bytes: from here on upload_done_, not parser_.is_done(), says
// whether the caller's request was read whole.
template <class Stream>
asio::awaitable<void> StreamProxy<Stream>::upload_sized(std::uint64_t left,
                                                        std::optional<BodyRateGuard>& rate) {
  if (const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer_.size()))) {
    left -= n;
    outcome_.bytes_in += n;
    // write() frames (or queues) the bytes before it returns: the buffer may move on after.
    const std::string_view head_part(static_cast<const char*>(buffer_.data().data()), n);
    auto written = h2_->try_write(head_part, left == 0);  // a webhook's body: no coroutine
    if (!written) written = co_await h2_->write(head_part, left == 0);
    buffer_.consume(n);
    if (*written) co_return;
  }
  if (left > 0 && !upload_buffer_) upload_buffer_.reset(new char[upload_size_]);
  while (left > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, upload_size_));
    std::size_t filled = 0;
    if (!before_body_read(rate, [&filled] { return filled; })) co_return;
    // Until the buffer is full, as Beast's read of a buffer_body is, counting for the guard.
    auto [ec, got] = co_await asio::async_read(
        stream_, asio::buffer(upload_buffer_.get(), want),
        [&filled, want](const core::error_code& error, std::size_t n) -> std::size_t {
          filled = n;
          return error ? 0 : want - n;
        },
        kAwaitable);
    if (!after_body_read(rate, ec, got)) co_return;  // the caller went away or stalled
    left -= got;
    if (co_await h2_->write({upload_buffer_.get(), got}, left == 0)) co_return;
  }
  upload_done_ = true;
  arm_response_deadline();
}

// Waits for the app's response head, then streams its body to the caller behind it. One
// coroutine for both: a frame per request less than a body forwarder of its own.
template <class Stream>
asio::awaitable<void> StreamProxy<Stream>::respond() {
  auto ec = co_await h2_->wait_headers();
  response_deadline_.disarm();
  if (ec) {
    auto page = failure_page({upload_error_, timed_out_, ec}, state_.options.limits,
                             request_.tunnel, holder());
    if (page) {
      co_await respond_error(std::move(*page));
    } else {
      outcome_.keep_alive = false;  // the caller went away mid-upload: nobody to answer
    }
    co_return;
  }

  auto [plan, out] = start_response();
  if (plan.framing == Framing::none) {
    if (!h2_->body_complete()) h2_->reset();  // a body the caller must not get
    responded_ = true;
    if (!co_await write(out)) outcome_.keep_alive = false;
    co_return;
  }
  // The body, framed as planned, behind the head in `out`.
  std::uint64_t sent = 0;
  std::string chunk;
  bool first = true;
  bool yielded = false;
  for (;;) {
    if (first && h2_->buffered() == 0 && !h2_->body_complete() && !h2_->closed()) {
      if (!yielded) {
        // The first DATA may be in the next TLS record, already read: one turn of the event
        // loop lets the session parse it, and head and body then share one write.
        yielded = true;
        co_await asio::post(state_.executor, asio::use_awaitable);
        continue;
      }
      // No body bytes yet (a streaming or slow app): the caller gets the head now instead of
      // when the first bytes come. Small answers arrive with their head and share one write.
      responded_ = true;
      if (!co_await write(out)) {
        outcome_.keep_alive = false;
        h2_->reset();
        co_return;
      }
      out.clear();
      first = false;
    }
    auto got = h2_->try_read(chunk);  // a coroutine only when the body is not there yet
    if (!got) got = co_await h2_->read(chunk);
    if (*got) {
      if (first) {  // nothing reached the caller yet: it still gets a proper answer
        outcome_.status = 0;
        co_await respond_error(response_cut_page(holder()));
      } else {
        outcome_.keep_alive = false;  // the body is cut: only closing tells the caller
      }
      co_return;
    }
    const bool complete = chunk.empty();
    sent += chunk.size();
    append_body(out, chunk, plan.framing);
    // The first write carries the head and the first body bytes together: one TLS record,
    // one syscall for a typical small webhook answer.
    responded_ = true;
    if (!out.empty() && !co_await write(out)) {
      outcome_.keep_alive = false;
      h2_->reset();
      co_return;
    }
    out.clear();
    first = false;
    if (complete) break;
  }
  outcome_.bytes_out = sent;
  if (plan.framing == Framing::content_length && response_length_ && sent != *response_length_) {
    outcome_.keep_alive = false;
  }
  if (!outcome_.keep_alive && !upload_done_) {
    // Let the caller see the end of the response; its unread upload ends with the connection.
    stop_sending(stream_);
  }
}

// The app's response head, as the caller gets it (response_head.hpp plans and renders it).
template <class Stream>
typename StreamProxy<Stream>::ResponseStart StreamProxy<Stream>::start_response() {
  const auto& request = parser_.get();
  const int status = h2_->status();
  const auto& headers = h2_->headers();
  const auto fields = read_response_fields(headers);
  auto plan = plan_response(status, fields, request.method() == http::verb::head, request.version(),
                            outcome_.keep_alive && !state_.stopping);
  outcome_.status = status;
  outcome_.keep_alive = plan.keep_alive;
  if (fields.error_code) {
    outcome_.error_code = known_agent_error(*fields.error_code);  // the agent's, for the log line
  }
  response_length_ = fields.content_length;
  return {plan, render_response_head(status, headers, plan, request.version())};
}

template <class Stream>
asio::awaitable<void> StreamProxy<Stream>::respond_error(core::ErrorPage page) {
  outcome_.status = page.status;
  outcome_.error_code = page.code;
  if (responded_) {
    outcome_.keep_alive = false;
    co_return;
  }
  if (!upload_done_ && !parser_.is_done()) outcome_.keep_alive = false;
  auto accept = parser_.get()[http::field::accept];
  auto bytes = render_error_response(page, accept, outcome_.keep_alive,
                                     parser_.get().method() == http::verb::head);
  add_retry_after(bytes, retry_after_);
  responded_ = true;
  if (!co_await write(bytes)) outcome_.keep_alive = false;
  if (!outcome_.keep_alive && !upload_done_) {
    stop_sending(stream_);
  }
}

// cluster: peer link
template <class Stream>
std::string StreamProxy<Stream>::holder() const {
  return holder_description(session_->via_edge(), request_.tunnel);
}

template <class Stream>
asio::awaitable<bool> StreamProxy<Stream>::write(std::string_view bytes) {
  return write_to_caller(stream_, bytes, state_.options.limits.idle_timeout);
}

template class StreamProxy<PlainStream>;
template class StreamProxy<SecureStream>;

}  // namespace relay::edge
