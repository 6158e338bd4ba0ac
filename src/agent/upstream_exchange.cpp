#include "agent/upstream_exchange.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>

#include "agent/header_mapping.hpp"
#include "agent/outgoing_request.hpp"
#include "agent/response_head_parser.hpp"

namespace relay::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// map_response_headers writes every name in lower case.
constexpr auto kMappedNames = net::FieldNames::lower_case;
using Where = UpstreamFailure::Where;

template <class Stream>
constexpr bool kGathers = std::is_same_v<Stream, net::TimedSocket>;

// The response is read as http::async_read_some would read it, one step at a time: the bytes
// already in `buffer` are parsed first (a response's body most often came with its head), and
// the socket is read only when the parser needs more (need_more). Not through Beast's
// operations: they nest two composed operations around each socket read, and complete one that
// read nothing (the body parsed from the buffer) through a post, a scheduler round trip.

// A fresh parser for the connection's next response, with the field vector of its last one: no
// allocation for it per response on a kept-alive connection. A plain function: the vector moved
// through here would otherwise sit in exchange_on's coroutine frame.
void renew_parser(std::optional<ResponseHeadParser>& parser) {
  std::vector<FieldView> storage;
  if (parser) storage = parser->take_field_storage();
  parser.emplace(std::move(storage));
}

// One parse of what `buffer` holds; need_more when it holds nothing.
core::error_code parse_buffered(beast::flat_buffer& buffer, ResponseHeadParser& parser) {
  core::error_code ec = http::error::need_more;
  if (buffer.size() == 0) return ec;
  buffer.consume(parser.put(buffer.data(), ec));
  return ec;
}

// Where the socket's bytes go: as much as Beast would read (64 KiB at most).
asio::mutable_buffer read_space(beast::flat_buffer& buffer) {
  return buffer.prepare(beast::read_size(buffer, 64u * 1024));
}

// After a socket read of `n` bytes ended with `ec`: the bytes parsed, or the end of the stream
// as Beast tells it (the end of a body that runs to it, a cut message, or end_of_stream when no
// byte of this response came).
core::error_code after_read(beast::flat_buffer& buffer, ResponseHeadParser& parser,
                            core::error_code ec, std::size_t n) {
  buffer.commit(n);
  if (ec == asio::error::eof) {
    if (!parser.got_some()) return http::error::end_of_stream;
    ec = {};
    parser.put_eof(ec);
    return ec;
  }
  if (ec) return ec;
  return parse_buffered(buffer, parser);
}

// Sends what the socket takes at once, without waiting (MSG_DONTWAIT): a webhook's head and body
// most often all go in this one sendmsg, which asio::async_write would make too, and then
// complete through the scheduler (a post, a resume and a composed operation per request).
// Returns the bytes sent: 0 when the socket is full or failed, and the asynchronous write of the
// rest then waits or reports the failure as before (a timeout included).
std::size_t send_now(net::TimedSocket& s, const std::vector<asio::const_buffer>& buffers) {
  constexpr std::size_t kMaxPieces = 16;  // more than a request's pieces; the rest waits
  std::array<iovec, kMaxPieces> pieces{};
  const std::size_t count = std::min(buffers.size(), kMaxPieces);
  for (std::size_t i = 0; i < count; ++i) {
    pieces[i].iov_base = const_cast<void*>(buffers[i].data());  // sendmsg only reads them
    pieces[i].iov_len = buffers[i].size();
  }
  msghdr message{};
  message.msg_iov = pieces.data();
  message.msg_iovlen = count;
  const auto n = ::sendmsg(s.socket().native_handle(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

// What of a request is at hand when the exchange starts: the head and the body bytes already
// read (all of them for a webhook). `done`: nothing else follows.
struct RequestStart {
  OutgoingRequest out;
  bool done = false;
};

RequestStart start_request(Exchange& x, const UpstreamRequestHead& head, std::string_view prefix) {
  RequestStart start;
  const auto buffered = x.body_buffered ? std::optional<std::string_view>(x.body) : std::nullopt;
  start.done = begin_request(start.out, head, buffered, prefix);
  if (!start.done && x.stream->body_complete()) {
    start.done = true;
    start.out.add_end(head.framing);
  }
  return start;
}

// The rest of a request after start_request(): `out` (its first `sent` bytes gone already), then
// the body as it arrives from the tunnel. `Stream` is net::TimedSocket or an ssl::stream over it.
template <class Stream>
asio::awaitable<UpstreamFailure> send_request(Stream& s, UpstreamConnection& c, Exchange& x,
                                              const UpstreamRequestHead& head, RequestStart& start,
                                              std::size_t sent, const AgentLimits& limits) {
  auto& h2 = *x.stream;
  auto& out = start.out;
  bool request_done = start.done;
  std::string chunk;
  while (true) {
    if (!request_done) {
      if (h2.body_complete()) {
        request_done = true;
        out.add_end(head.framing);
      } else {
        auto got = h2.try_read(chunk);
        if (!got) got = co_await h2.read(chunk);
        if (*got) co_return UpstreamFailure{Where::caller, *got, {}};
        if (chunk.empty()) {
          request_done = true;
          out.add_end(head.framing);
        } else {
          out.add_body(chunk, head.framing);
          // Coalesce what has already arrived, up to a bound, before writing.
          if (!h2.body_complete() && out.bytes() < kForwardChunk) continue;
        }
      }
    }
    if (!out.empty()) {
      c.lowest().expires_after(limits.upstream_response_timeout);
      core::error_code ec;
      if constexpr (kGathers<Stream>) {
        const auto& buffers = out.buffers();
        if (sent == 0) sent = send_now(s, buffers);
        if (sent < out.bytes()) {
          beast::buffers_suffix<std::vector<asio::const_buffer>> rest(buffers);
          rest.consume(sent);
          auto [wec, n] = co_await asio::async_write(s, rest, kUseTuple);
          ec = wec;
        }
      } else {
        auto all = out.flatten();
        auto [wec, n] = co_await asio::async_write(s, asio::buffer(all), kUseTuple);
        ec = wec;
      }
      if (ec) co_return write_failure(ec);
      out.clear();
      sent = 0;
    }
    if (request_done) co_return UpstreamFailure{};
  }
}

// One coroutine for the whole exchange: a coroutine call costs a few hundred instructions per
// request (its frame, its start, its return; bench/instructions.sh). The request goes without
// one when the socket takes it at once, the usual case; the response head is read and its body
// relayed here.
template <class Stream>
asio::awaitable<UpstreamOutcome> exchange_on(Stream& s, UpstreamConnection& c, Exchange& x,
                                             const UpstreamRequestHead& head,
                                             std::string_view prefix, const AgentLimits& limits) {
  {
    auto start = start_request(x, head, prefix);
    std::size_t sent = 0;
    if constexpr (kGathers<Stream>) {
      if (start.done) sent = send_now(s, start.out.buffers());
    }
    if (!start.done || sent < start.out.bytes()) {
      auto failure = co_await send_request(s, c, x, head, start, sent, limits);
      if (failure.where != Where::none) co_return UpstreamOutcome{std::move(failure), false};
    }
  }
  // The response head; interim responses (100 Continue) are skipped.
  auto& parser = c.response;
  do {
    renew_parser(parser);
    if (x.method == "HEAD") parser->skip_body();
    c.lowest().expires_after(limits.upstream_response_timeout);  // for the whole head
    auto ec = parse_buffered(c.buffer, *parser);
    while (ec == http::error::need_more || (!ec && !parser->is_header_done())) {
      auto [rec, n] = co_await s.async_read_some(read_space(c.buffer), kUseTuple);
      ec = after_read(c.buffer, *parser, rec, n);
    }
    if (ec) co_return UpstreamOutcome{head_failure(ec), false};
  } while (is_interim(parser->status()));

  auto& h2 = *x.stream;
  if (auto problem = response_framing_problem(parser->framing(), parser->version(),
                                              parser->chunked(), parser->content_length())) {
    co_return UpstreamOutcome{{Where::upstream_invalid, {}, std::move(*problem)}, false};
  }
  // The parser's fields are views of c.buffer, mapped (each kept one copied once) before the
  // next read into it.
  auto headers = map_response_headers(parser->fields());
  x.status = static_cast<int>(parser->status());
  bool fin = parser->is_done();
  // Body bytes that came with the head are read first: HEADERS and the first DATA then share
  // one TLS record, and the edge answers its caller with one write. Nothing here yet (a
  // streaming app): the head goes at once.
  bool head_sent = false;
  if (fin || c.buffer.size() == 0) {
    if (auto ec = h2.respond(x.status, std::move(headers), fin, kMappedNames))
      co_return UpstreamOutcome{{Where::caller, ec, {}}, false};
    head_sent = true;
  }

  // One buffer at a time: write() waits while the edge's window is closed.
  const std::size_t buf_size = response_buffer_size(parser->content_length());
  std::unique_ptr<char[]> buf(fin ? nullptr : new char[buf_size]);
  while (!fin) {
    parser->lend_body_buffer(buf.get(), buf_size);
    auto ec = parse_buffered(c.buffer, *parser);
    if (ec == http::error::need_more) {
      c.lowest().expires_after(limits.upstream_response_timeout);
      do {
        auto [rec, n] = co_await s.async_read_some(read_space(c.buffer), kUseTuple);
        ec = after_read(c.buffer, *parser, rec, n);
      } while (ec == http::error::need_more);
    }
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return UpstreamOutcome{body_failure(ec, head_sent), false};
    const std::size_t got = buf_size - parser->body_room();
    fin = parser->is_done();
    if (!head_sent) {  // once: the head's fields go to the stream, which keeps them
      if (auto rec = h2.respond(x.status, std::exchange(headers, {}), false, kMappedNames))
        co_return UpstreamOutcome{{Where::caller, rec, {}}, false};
      head_sent = true;
    }
    if (got == 0 && !fin) continue;
    const std::string_view body(buf.get(), got);
    auto written = h2.try_write(body, fin);  // a small answer's body: no coroutine
    if (!written) written = co_await h2.write(body, fin);
    if (*written) co_return UpstreamOutcome{{Where::caller, *written, {}}, false};
  }
  co_return UpstreamOutcome{{}, parser->keep_alive()};
}

}  // namespace

// Not a coroutine: it picks the instantiation and hands back its awaitable (no extra frame).
asio::awaitable<UpstreamOutcome> exchange_with_upstream(UpstreamConnection& connection,
                                                        Exchange& exchange,
                                                        const UpstreamRequestHead& head,
                                                        std::string_view prefix,
                                                        const AgentLimits& limits) {
  if (connection.tls) {
    return exchange_on(*connection.tls, connection, exchange, head, prefix, limits);
  }
  return exchange_on(*connection.tcp, connection, exchange, head, prefix, limits);
}

}  // namespace relay::agent
