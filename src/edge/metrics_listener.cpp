#include "edge/metrics_listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "edge/listen_socket.hpp"
#include "relay/core/metrics.hpp"

namespace relay::edge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr auto kTimeout = std::chrono::seconds(10);

asio::awaitable<http::response<http::string_body>> answer(
    const http::request<http::empty_body>& request, EdgeState& state) {
  http::response<http::string_body> response;
  response.version(request.version());
  response.keep_alive(request.keep_alive());
  if (request.target() != "/metrics" && !request.target().starts_with("/metrics?")) {
    response.result(http::status::not_found);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "not found: this listener serves GET /metrics only\n";
  } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
    response.result(http::status::method_not_allowed);
    response.set(http::field::allow, "GET, HEAD");
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "method not allowed: use GET /metrics\n";
  } else {
    response.result(http::status::ok);
    response.set(http::field::content_type, core::metrics::kContentType);
    response.body() = co_await state.metrics.render(state);
    if (request.method() == http::verb::head) {
      response.content_length(response.body().size());
      response.body().clear();
      co_return response;
    }
  }
  response.prepare_payload();
  co_return response;
}

asio::awaitable<void> serve(std::shared_ptr<EdgeState> state, asio::ip::tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(16 * 1024);
    stream.expires_after(kTimeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kAwaitable);
    if (ec) break;
    auto response = co_await answer(parser.get(), *state);
    auto [write_ec, written] = co_await http::async_write(stream, response, kAwaitable);
    if (write_ec || !response.keep_alive() || state->stopping) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

}  // namespace

MetricsListener::MetricsListener(std::shared_ptr<EdgeState> state,
                                 const asio::ip::tcp::endpoint& endpoint)
    : state_(std::move(state)),
      acceptor_(open_acceptor(state_->executor, endpoint, "--metrics-listen")),
      endpoint_(acceptor_->local_endpoint()) {}

void MetricsListener::start() {
  start_accepting(acceptor_, state_->log, "metrics",
                  [state = state_](asio::ip::tcp::socket socket) -> asio::awaitable<void> {
                    co_await serve(state, std::move(socket));
                  });
}

void MetricsListener::close() {
  boost::system::error_code ignored;
  acceptor_->close(ignored);
}

}  // namespace relay::edge
