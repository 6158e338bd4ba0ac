#include "relay/inspect/inspector_server.hpp"

#include <charconv>
#include <map>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "inspect/api_handler.hpp"
#include "inspect/event_stream.hpp"
#include "relay/core/log.hpp"

namespace relay::inspect {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds{60};
constexpr auto kWriteTimeout = std::chrono::seconds{30};

void log_escape(const std::exception_ptr& e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    core::log_event(*core::logger("relay.inspect"), spdlog::level::err,
                    "inspector connection failed", {{"err", ex.what()}});
  }
}

// "127.0.0.1:4040", "4040", "[::1]:4040", "localhost:4040" → host and port.
bool parse_addr(std::string_view addr, std::string& host, unsigned short& port) {
  host = "127.0.0.1";
  std::string_view port_text = addr;
  if (const auto colon = addr.rfind(':'); colon != std::string_view::npos) {
    host = std::string{addr.substr(0, colon)};
    port_text = addr.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    if (host == "localhost" || host.empty()) host = "127.0.0.1";
  }
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  return ec == std::errc{} && end == port_text.data() + port_text.size();
}

}  // namespace

class InspectorServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor ex, CaptureStore& store, TunnelDirectory& tunnels, Replayer& replayer,
       InspectorOptions options)
      : ex_(std::move(ex)),
        store_(store),
        options_(std::move(options)),
        handler_(store, tunnels, replayer, "", options_.version, options_.deliveries,
                 options_.metrics),
        acceptor_(ex_) {}

  core::Fallible<tcp::endpoint> start();
  void stop();
  tcp::endpoint endpoint_;

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(tcp::socket socket);

  asio::any_io_executor ex_;
  CaptureStore& store_;
  InspectorOptions options_;
  detail::ApiHandler handler_;
  tcp::acceptor acceptor_;
  // Open connections, so stop() can close them (SSE streams never end on their own). Touched
  // on the io thread only.
  std::map<std::uint64_t, std::function<void()>> closers_;
  std::uint64_t next_connection_ = 0;
};

core::Fallible<tcp::endpoint> InspectorServer::Impl::start() {
  std::string host;
  unsigned short port = 0;
  if (!parse_addr(options_.addr, host, port)) {
    return core::Failure{
        .code = asio::error::invalid_argument,
        .message = fmt::format(
            "invalid inspector address \"{}\": use HOST:PORT, e.g. 127.0.0.1:4040", options_.addr)};
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return core::Failure{
        .code = ec,
        .message = fmt::format("invalid inspector address \"{}\": the host must be an IP address "
                               "such as 127.0.0.1",
                               options_.addr)};
  }
  const int attempts = port == 0 ? 1 : std::max(options_.port_attempts, 1);
  for (int i = 0; i < attempts; ++i) {
    const tcp::endpoint ep{address, static_cast<unsigned short>(port + i)};
    acceptor_.close(ec);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) break;
    if (ec != asio::error::address_in_use) break;
  }
  if (ec) {
    acceptor_.close();
    return core::Failure{
        .code = ec,
        .message = fmt::format(
            "cannot start the inspector on {} ({}); pass --inspect ADDR with a free port, or "
            "--inspect=false",
            options_.addr, ec.message())};
  }
  endpoint_ = acceptor_.local_endpoint();
  handler_.set_bind_host(address.to_string());
  handler_.set_port(endpoint_.port());
  handler_.set_web_addr(fmt::format("{}:{}",
                                    endpoint_.address().is_v6()
                                        ? "[" + endpoint_.address().to_string() + "]"
                                        : endpoint_.address().to_string(),
                                    endpoint_.port()));
  asio::co_spawn(ex_, accept_loop(), log_escape);
  return endpoint_;
}

void InspectorServer::Impl::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  // A copy: each closer ends a coroutine that erases itself later, never during this loop.
  const auto closers = closers_;
  for (const auto& [id, close] : closers) close();
}

asio::awaitable<void> InspectorServer::Impl::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;  // stop()
    if (ec) continue;  // the peer went away between SYN and accept
    asio::co_spawn(ex_, serve(std::move(socket)), log_escape);
  }
}

asio::awaitable<void> InspectorServer::Impl::serve(tcp::socket socket) {
  auto self = shared_from_this();
  beast::tcp_stream stream{std::move(socket)};
  beast::flat_buffer buffer;
  bool stopped = false;
  detail::EventStream* events = nullptr;
  const auto id = next_connection_++;
  closers_[id] = [&] {
    stopped = true;
    if (events != nullptr) events->close();
    beast::error_code ignored;
    stream.socket().close(ignored);
  };
  struct Erase {
    Impl* impl;
    std::uint64_t id;
    ~Erase() { impl->closers_.erase(id); }
  } erase{this, id};

  while (!stopped) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.max_request_body);
    stream.expires_after(kIdleTimeout);
    auto [ec, n] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (ec == http::error::body_limit) {
      http::response<http::string_body> res{http::status::payload_too_large, 11};
      res.set(http::field::content_type, "application/json");
      res.body() = R"({"error_code":"ERR_RELAY_BODY_TOO_LARGE","status_code":413,)"
                   R"("msg":"the request body is larger than the inspector accepts"})";
      res.prepare_payload();
      res.keep_alive(false);
      co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    }
    if (ec) break;  // end_of_stream, timeout, close by stop(): all end the connection quietly
    auto req = parser.release();

    detail::ApiRequest api;
    api.method = std::string{req.method_string()};
    api.target = std::string{req.target()};
    for (const auto& f : req) api.headers.add(std::string{f.name_string()}, std::string{f.value()});
    api.body = std::move(req.body());
    auto result = co_await handler_.handle(std::move(api));
    if (stopped) break;

    if (result.event_stream) {
      stream.expires_never();
      detail::EventStream es{stream, store_};
      events = &es;
      co_await es.run();
      events = nullptr;
      break;
    }

    http::response<http::string_body> res{static_cast<http::status>(result.status), req.version()};
    res.set(http::field::server, "relay");
    if (!result.content_type.empty()) res.set(http::field::content_type, result.content_type);
    for (const auto& f : result.headers) res.set(f.name, f.value);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(result.body);
    res.prepare_payload();
    if (req.method() == http::verb::head) res.body().clear();  // keeps Content-Length
    stream.expires_after(kWriteTimeout);
    auto [wec, written] =
        co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !res.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

InspectorServer::InspectorServer(asio::any_io_executor ex, CaptureStore& store,
                                 TunnelDirectory& tunnels, Replayer& replayer,
                                 InspectorOptions options)
    : impl_(std::make_shared<Impl>(std::move(ex), store, tunnels, replayer, std::move(options))) {}

InspectorServer::~InspectorServer() { impl_->stop(); }

core::Fallible<tcp::endpoint> InspectorServer::start() { return impl_->start(); }

void InspectorServer::stop() { impl_->stop(); }

tcp::endpoint InspectorServer::endpoint() const { return impl_->endpoint_; }

std::string InspectorServer::url() const {
  const auto& ep = impl_->endpoint_;
  const auto host =
      ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
  return fmt::format("http://{}:{}", host, ep.port());
}

}  // namespace relay::inspect
