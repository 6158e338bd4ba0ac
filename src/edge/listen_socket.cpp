#include "edge/listen_socket.hpp"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relay::edge {

namespace asio = boost::asio;
using asio::ip::tcp;

std::string to_string(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

tcp::endpoint parse_listen_address(std::string_view address, std::string_view flag) {
  auto fail = [&](std::string_view why) -> tcp::endpoint {
    throw std::runtime_error(fmt::format(
        "{} '{}': {}; use HOST:PORT, e.g. 0.0.0.0:8080 or [::1]:8080", flag, address, why));
  };
  std::string_view host;
  std::string_view port;
  if (!address.empty() && address.front() == '[') {
    auto close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return fail("an IPv6 address needs brackets and a port");
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    auto colon = address.rfind(':');
    if (colon == std::string_view::npos) return fail("the port is missing");
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535) {
    return fail("the port must be a number from 0 to 65535");
  }
  if (host.empty() || host == "*") host = "0.0.0.0";
  boost::system::error_code parse_ec;
  auto ip = asio::ip::make_address(std::string(host), parse_ec);
  if (!parse_ec) return {ip, static_cast<unsigned short>(value)};
  asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(std::string(host), std::string(port), parse_ec);
  if (parse_ec || results.empty()) return fail("the host cannot be resolved");
  return results.begin()->endpoint();
}

std::shared_ptr<tcp::acceptor> open_acceptor(const asio::any_io_executor& ex,
                                             const tcp::endpoint& endpoint, std::string_view flag) {
  auto acceptor = std::make_shared<tcp::acceptor>(ex);
  boost::system::error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && endpoint.address().is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) return acceptor;
  std::string what = to_string(endpoint);
  if (ec == asio::error::address_in_use) {
    throw std::runtime_error(fmt::format(
        "{} is already in use; stop the program using it or pass {} with another address", what,
        flag));
  }
  if (ec == asio::error::access_denied) {
    throw std::runtime_error(
        fmt::format("{}: permission denied (ports below 1024 need root or "
                    "CAP_NET_BIND_SERVICE); pass {} with a port above 1023",
                    what, flag));
  }
  throw std::runtime_error(fmt::format("cannot listen on {}: {}; pass {} with another address",
                                       what, ec.message(), flag));
}

namespace {

// Logs what escaped a coroutine instead of letting it end the process.
auto log_failure(std::shared_ptr<spdlog::logger> log, std::string what) {
  return [log = std::move(log), what = std::move(what)](const std::exception_ptr& e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log->error("{} failed: {}", what, ex.what());
    }
  };
}

asio::awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acceptor,
                                  std::shared_ptr<spdlog::logger> log, std::string what,
                                  ServeConnection serve) {
  constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
  asio::steady_timer pause(acceptor->get_executor());
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(kAwaitable);
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;  // closed
    if (ec) {
      log->warn("{} accept failed: {}", what, ec.message());
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(kAwaitable);
      continue;
    }
    asio::co_spawn(acceptor->get_executor(), serve(std::move(socket)),
                   log_failure(log, what + " connection"));
  }
}

}  // namespace

void start_accepting(std::shared_ptr<tcp::acceptor> acceptor, std::shared_ptr<spdlog::logger> log,
                     std::string what, ServeConnection serve) {
  auto ex = acceptor->get_executor();
  auto on_done = log_failure(log, what + " listener");
  asio::co_spawn(
      ex, accept_loop(std::move(acceptor), std::move(log), std::move(what), std::move(serve)),
      std::move(on_done));
}

}  // namespace relay::edge
