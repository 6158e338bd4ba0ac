#include "agent/upstream_exchange.hpp"

#include <iterator>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "agent/header_mapping.hpp"
#include "agent/outgoing_request.hpp"

namespace relay::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
using Where = UpstreamFailure::Where;
using ResponseParser = http::response_parser<http::buffer_body>;

template <class Stream>
constexpr bool kGathers = std::is_same_v<Stream, net::TimedSocket>;

std::optional<std::uint64_t> content_length(const ResponseParser& parser) {
  const auto length = parser.content_length();
  return length ? std::optional(*length) : std::nullopt;
}

// `Stream` is net::TimedSocket or an ssl::stream over it.
template <class Stream>
asio::awaitable<UpstreamFailure> send_request(Stream& s, UpstreamConnection& c, Exchange& x,
                                              const UpstreamRequestHead& head,
                                              std::string_view prefix, const AgentLimits& limits) {
  auto& h2 = *x.stream;
  OutgoingRequest out;
  const auto buffered = x.body_buffered ? std::optional<std::string_view>(x.body) : std::nullopt;
  bool request_done = begin_request(out, head, buffered, prefix);
  std::string chunk;
  while (true) {
    if (!request_done) {
      if (h2.body_complete()) {
        request_done = true;
        out.add_end(head.framing);
      } else {
        auto ec = co_await h2.read(chunk);
        if (ec) co_return UpstreamFailure{Where::caller, ec, {}};
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
        auto [wec, n] = co_await asio::async_write(s, out.buffers(), kUseTuple);
        ec = wec;
      } else {
        auto all = out.flatten();
        auto [wec, n] = co_await asio::async_write(s, asio::buffer(all), kUseTuple);
        ec = wec;
      }
      if (ec) co_return write_failure(ec);
      out.clear();
    }
    if (request_done) co_return UpstreamFailure{};
  }
}

template <class Stream>
asio::awaitable<UpstreamFailure> relay_response(Stream& s, UpstreamConnection& c, Exchange& x,
                                                ResponseParser& parser, const AgentLimits& limits) {
  auto& h2 = *x.stream;
  auto& response = parser.get();
  if (auto problem = response_framing_problem(response, response.version(), parser.chunked(),
                                              content_length(parser))) {
    co_return UpstreamFailure{Where::upstream_invalid, {}, std::move(*problem)};
  }
  // Views of the parser's fields: only what is passed back gets copied, once.
  std::vector<FieldView> fields;
  fields.reserve(static_cast<std::size_t>(std::distance(response.begin(), response.end())));
  for (const auto& f : response) fields.push_back({f.name_string(), f.value()});
  auto headers = map_response_headers(fields);
  x.status = static_cast<int>(response.result_int());
  bool fin = parser.is_done();
  // Body bytes that came with the head are read first: HEADERS and the first DATA then share
  // one TLS record, and the edge answers its caller with one write. Nothing here yet (a
  // streaming app): the head goes at once.
  bool head_sent = false;
  if (fin || c.buffer.size() == 0) {
    if (auto ec = h2.respond(x.status, headers, fin))
      co_return UpstreamFailure{Where::caller, ec, {}};
    head_sent = true;
  }

  // One buffer at a time: write() waits while the edge's window is closed.
  const std::size_t buf_size = response_buffer_size(content_length(parser));
  std::unique_ptr<char[]> buf(fin ? nullptr : new char[buf_size]);
  while (!fin) {
    response.body().data = buf.get();
    response.body().size = buf_size;
    c.lowest().expires_after(limits.upstream_response_timeout);
    auto [ec, n] = co_await http::async_read_some(s, c.buffer, parser, kUseTuple);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return body_failure(ec, head_sent);
    const std::size_t got = buf_size - response.body().size;
    fin = parser.is_done();
    if (!head_sent) {
      if (auto rec = h2.respond(x.status, headers, false))
        co_return UpstreamFailure{Where::caller, rec, {}};
      head_sent = true;
    }
    if (got == 0 && !fin) continue;
    if (auto wec = co_await h2.write(std::string_view(buf.get(), got), fin)) {
      co_return UpstreamFailure{Where::caller, wec, {}};
    }
  }
  co_return UpstreamFailure{};
}

// Each step is its own coroutine only where it is long: a coroutine call per request costs a
// few hundred instructions (bench/instructions.sh), so the head is read here.
template <class Stream>
asio::awaitable<UpstreamOutcome> exchange_on(Stream& s, UpstreamConnection& c, Exchange& x,
                                             const UpstreamRequestHead& head,
                                             std::string_view prefix, const AgentLimits& limits) {
  auto sent = co_await send_request(s, c, x, head, prefix, limits);
  if (sent.where != Where::none) co_return UpstreamOutcome{std::move(sent), false};
  // The response head; interim responses (100 Continue) are skipped.
  std::optional<ResponseParser> parser;
  do {
    parser.emplace();
    parser->header_limit(64 * 1024);
    parser->body_limit(boost::none);
    if (x.method == "HEAD") parser->skip(true);
    c.lowest().expires_after(limits.upstream_response_timeout);
    auto [ec, n] = co_await http::async_read_header(s, c.buffer, *parser, kUseTuple);
    if (ec) co_return UpstreamOutcome{head_failure(ec), false};
  } while (is_interim(parser->get().result_int()));
  auto relayed = co_await relay_response(s, c, x, *parser, limits);
  if (relayed.where != Where::none) co_return UpstreamOutcome{std::move(relayed), false};
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
