#include "agent/forward_step.hpp"

#include <algorithm>
#include <memory>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "agent/header_mapping.hpp"
#include "agent/outgoing_request.hpp"
#include "agent/tunnel_runtime.hpp"
#include "relay/core/error_page.hpp"
#include "relay/net/http1_framing.hpp"

namespace relay::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunk = 64 * 1024;

enum class Where {
  none,
  caller,
  upstream_before_response,
  upstream_timeout,
  upstream_invalid,  // the app's response head or body cannot be forwarded safely
  upstream_after_response
};

struct Failure {
  Where where = Where::none;
  core::error_code ec;
  std::string why;  // for upstream_invalid: what is wrong with the response
};

// Beast refused what the app sent (bad Content-Length, bad chunk...), as opposed to the
// connection ending or failing: not retryable, and the app's fault.
bool is_malformed(const core::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_chunk).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::need_buffer;
}

template <class Stream>
constexpr bool kGathers = std::is_same_v<Stream, beast::tcp_stream>;

bool is_timeout(const core::error_code& ec) {
  return ec == beast::error::timeout || ec == asio::error::timed_out;
}

// The exchange on one connection; `Stream` is beast::tcp_stream or an ssl::stream over it.
template <class Stream>
asio::awaitable<Failure> exchange(Stream& s, UpstreamConnection& c, Exchange& x,
                                  const UpstreamRequestHead& head, std::string_view prefix,
                                  const AgentLimits& limits, bool& keep_alive) {
  keep_alive = false;
  auto& lowest = c.lowest();
  auto& h2 = *x.stream;

  // Request: the head and the first body bytes (or all of a buffered body) in one write.
  OutgoingRequest out;
  out.add_view(head.text);
  bool request_done = head.framing == BodyFraming::none;
  if (x.body_buffered) {
    out.add_body(std::string_view(x.body), head.framing);
    out.add_end(head.framing);
    request_done = true;
  } else {
    out.add_body(prefix, head.framing);  // body bytes read before the head was built
  }
  std::string chunk;
  while (true) {
    if (!request_done) {
      if (h2.body_complete()) {
        request_done = true;
        out.add_end(head.framing);
      } else {
        auto ec = co_await h2.read(chunk);
        if (ec) co_return Failure{Where::caller, ec};
        if (chunk.empty()) {
          request_done = true;
          out.add_end(head.framing);
        } else {
          out.add_body(chunk, head.framing);
          // Coalesce what has already arrived, up to a bound, before writing.
          if (!h2.body_complete() && out.bytes() < kChunk) continue;
        }
      }
    }
    if (!out.empty()) {
      lowest.expires_after(limits.upstream_response_timeout);
      core::error_code ec;
      if constexpr (kGathers<Stream>) {
        auto [wec, n] = co_await asio::async_write(s, out.buffers(), kUseTuple);
        ec = wec;
      } else {
        auto all = out.flatten();
        auto [wec, n] = co_await asio::async_write(s, asio::buffer(all), kUseTuple);
        ec = wec;
      }
      if (ec) {
        co_return Failure{
            is_timeout(ec) ? Where::upstream_timeout : Where::upstream_before_response, ec};
      }
      out.clear();
    }
    if (request_done) break;
  }

  // Response head; interim 1xx responses (100 Continue) are skipped.
  std::optional<http::response_parser<http::buffer_body>> parser;
  for (;;) {
    parser.emplace();
    parser->header_limit(64 * 1024);
    parser->body_limit(boost::none);
    if (x.method == "HEAD") parser->skip(true);
    lowest.expires_after(limits.upstream_response_timeout);
    auto [ec, n] = co_await http::async_read_header(s, c.buffer, *parser, kUseTuple);
    if (ec && is_malformed(ec)) co_return Failure{Where::upstream_invalid, ec, ec.message()};
    if (ec) {
      co_return Failure{is_timeout(ec) ? Where::upstream_timeout : Where::upstream_before_response,
                        ec};
    }
    auto status = parser->get().result_int();
    if (status >= 200 || status == 101) break;
  }
  auto& response = parser->get();
  // The smuggling rules of the edge, on the app's side: a framing Beast would read one way and
  // a cache or the caller another is refused (502) rather than forwarded.
  net::Http1FramingCheck framing_check;
  for (const auto& f : response) framing_check.add(f.name_string(), f.value());
  const auto framing = framing_check.result(false, response.version());
  if (!framing.ok()) co_return Failure{Where::upstream_invalid, {}, std::string(framing.reason())};
  const auto length = parser->content_length();
  if (!framing.agrees_with(parser->chunked(), length ? std::optional(*length) : std::nullopt)) {
    co_return Failure{Where::upstream_invalid, {}, "its body length is ambiguous"};
  }
  core::Headers upstream_headers;
  for (const auto& f : response) {
    upstream_headers.add(std::string(f.name_string()), std::string(f.value()));
  }
  auto headers = map_response_headers(upstream_headers);
  x.status = static_cast<int>(response.result_int());
  bool fin = parser->is_done();
  // Body bytes that came with the head are read first: HEADERS and the first DATA then share
  // one TLS record, and the edge answers its caller with one write. Nothing here yet (a
  // streaming app): the head goes at once.
  bool head_sent = false;
  if (fin || c.buffer.size() == 0) {
    if (auto ec = h2.respond(x.status, headers, fin)) co_return Failure{Where::caller, ec};
    head_sent = true;
  }

  // Response body, one buffer at a time: write() waits while the edge's window is closed.
  // Sized to the body when its length is known and not zero-filled: a 64 KiB memset per
  // response was a third of the agent's instructions for a small webhook answer.
  std::size_t buf_size = kChunk;
  if (auto length = parser->content_length()) {
    buf_size = static_cast<std::size_t>(std::clamp<std::uint64_t>(*length, 1, kChunk));
  }
  std::unique_ptr<char[]> buf(fin ? nullptr : new char[buf_size]);
  while (!fin) {
    response.body().data = buf.get();
    response.body().size = buf_size;
    lowest.expires_after(limits.upstream_response_timeout);
    auto [ec, n] = co_await http::async_read_some(s, c.buffer, *parser, kUseTuple);
    if (ec == http::error::need_buffer) ec = {};
    if (ec && !head_sent && is_malformed(ec)) {
      co_return Failure{Where::upstream_invalid, ec, ec.message()};  // the caller can get a 502
    }
    if (ec) co_return Failure{Where::upstream_after_response, ec};
    std::size_t got = buf_size - response.body().size;
    fin = parser->is_done();
    if (!head_sent) {
      if (auto rec = h2.respond(x.status, headers, false)) co_return Failure{Where::caller, rec};
      head_sent = true;
    }
    if (got == 0 && !fin) continue;
    if (auto wec = co_await h2.write(std::string_view(buf.get(), got), fin)) {
      co_return Failure{Where::caller, wec};
    }
  }
  keep_alive = parser->keep_alive();
  co_return Failure{};
}

std::string what_to_check(const UpstreamAddress& upstream) {
  return "Is your app listening on " + upstream.host_port() + "?";
}

}  // namespace

asio::awaitable<Step::Outcome> ForwardStep::run(Exchange& x) {
  const auto& upstream = pool_->address();
  RequestMappingOptions mapping;
  mapping.upstream = &upstream;
  mapping.host_header = options_.host_header;
  // HTTP/2 says "no body" by END_STREAM, which may come in a separate empty DATA frame. When
  // the length is unknown, wait for the first body bytes (or the end) before choosing between
  // no body and chunked: the head and those bytes then go out in one write. A body of known
  // length up to kChunk (a webhook's) is gathered whole first, as exchange() would gather it
  // before its first write anyway: the request can then be sent again on a fresh connection
  // if a kept-alive one turns out closed, so that one needs no liveness check.
  std::string prefix;
  bool body_follows = x.body_buffered ? !x.body.empty() : !x.stream->body_complete();
  bool whole_body_here = false;
  if (body_follows && !x.body_buffered) {
    const auto length = x.headers().content_length();
    whole_body_here = length && *length <= kChunk;
    std::string chunk;
    do {
      if (auto ec = co_await x.stream->read(chunk)) {
        x.detail = "the caller went away: " + ec.message();
        co_return Outcome::answered;
      }
      if (prefix.empty()) {
        prefix.swap(chunk);
      } else {
        prefix += chunk;
      }
    } while (whole_body_here && !x.stream->body_complete());
    body_follows = !prefix.empty() || !x.stream->body_complete();
  }
  mapping.body_follows = body_follows;
  mapping.add = &options_.request_header_add;
  mapping.remove = &options_.request_header_remove;
  auto head = map_request(x.headers(), mapping);

  // A kept-alive connection the app closed while we picked it: retry once on a fresh one,
  // which is safe only when no body byte was consumed from the caller.
  const bool replayable =
      x.body_buffered || whole_body_here || (head.framing == BodyFraming::none && prefix.empty());
  std::string error;
  auto acquired = co_await pool_->acquire(error, replayable);
  Failure failure;
  for (int attempt = 0;; ++attempt) {
    if (!acquired) {
      auto ec = acquired.error();
      x.detail = error;
      if (ec == asio::error::connection_refused) {
        {
          std::string message = "relay could not connect to your app at " + upstream.url() +
                                ": connection refused. " + what_to_check(upstream);
          co_await respond_error(x, 502, core::error_codes::upstream_refused, std::move(message));
        }
      } else if (is_timeout(ec)) {
        {
          std::string message = "relay could not connect to your app at " + upstream.url() +
                                " within " +
                                std::to_string(limits_.upstream_connect_timeout.count()) + " s. " +
                                what_to_check(upstream);
          co_await respond_error(x, 504, core::error_codes::upstream_timeout, std::move(message));
        }
      } else {
        {
          std::string message =
              "relay could not reach your app: " + error + ". " + what_to_check(upstream);
          co_await respond_error(x, 502, core::error_codes::upstream_failed, std::move(message));
        }
      }
      co_return Outcome::answered;
    }
    auto connection = std::move(acquired.value());
    bool keep_alive = false;
    if (connection->tls) {
      failure =
          co_await exchange(*connection->tls, *connection, x, head, prefix, limits_, keep_alive);
    } else {
      failure =
          co_await exchange(*connection->tcp, *connection, x, head, prefix, limits_, keep_alive);
    }
    if (failure.where == Where::none) {
      if (keep_alive) pool_->release(std::move(connection));
      co_return Outcome::answered;
    }
    if (connection->reused && attempt == 0 && replayable &&
        failure.where == Where::upstream_before_response) {
      acquired = co_await pool_->connect(error);
      continue;
    }
    break;
  }

  x.detail = failure.ec.message();
  switch (failure.where) {
    case Where::caller:  // the edge or the public caller went away: nobody to answer
      x.detail = "the caller went away: " + failure.ec.message();
      x.stream->reset();
      break;
    case Where::upstream_timeout: {
      std::string message = "Your app at " + upstream.url() + " did not answer within " +
                            std::to_string(limits_.upstream_response_timeout.count()) +
                            " s. Check that it responds to " + x.method + " " + x.path + ".";
      co_await respond_error(x, 504, core::error_codes::upstream_timeout, std::move(message));
    } break;
    case Where::upstream_before_response: {
      std::string message = "The connection to your app at " + upstream.url() +
                            " failed before it answered: " + failure.ec.message() +
                            ". Check your app's logs.";
      co_await respond_error(x, 502, core::error_codes::upstream_failed, std::move(message));
    } break;
    case Where::upstream_invalid: {
      x.detail = "the app sent an invalid HTTP/1.1 response: " + failure.why;
      std::string message = "Your app at " + upstream.url() +
                            " sent a response relay cannot forward safely: " + failure.why +
                            ". Fix how the app frames its response (Content-Length or "
                            "Transfer-Encoding: chunked).";
      co_await respond_error(x, 502, core::error_codes::upstream_failed, std::move(message));
    } break;
    case Where::upstream_after_response:
      // Headers are gone already: the only honest signal left is to reset the stream.
      x.detail = "the app's response broke off: " + failure.ec.message();
      x.relay_code = core::error_codes::upstream_failed;
      x.stream->reset(0x2 /* INTERNAL_ERROR */);
      break;
    case Where::none:
      break;
  }
  co_return Outcome::answered;
}

}  // namespace relay::agent
