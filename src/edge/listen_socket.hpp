#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace spdlog {
class logger;
}

namespace relay::edge {

// "host:port", "[v6]:port" or ":port" → endpoint; throws std::runtime_error for the user,
// naming `flag`. Host names are resolved (blocking: start-up only).
boost::asio::ip::tcp::endpoint parse_listen_address(std::string_view address,
                                                    std::string_view flag);

// A listening acceptor on `endpoint`; throws std::runtime_error naming the address and what to
// do when it is in use or not allowed.
std::shared_ptr<boost::asio::ip::tcp::acceptor> open_acceptor(
    const boost::asio::any_io_executor& ex, const boost::asio::ip::tcp::endpoint& endpoint,
    std::string_view flag);

std::string to_string(const boost::asio::ip::tcp::endpoint& endpoint);

// The coroutine that serves one accepted connection.
using ServeConnection =
    std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket socket)>;

// Accepts on `acceptor` until it is closed and spawns `serve` for each connection; `what`
// ("public", "agent") names the listener in log lines. A failed accept (EMFILE and friends)
// pauses briefly and goes on, so the listener serves again once descriptors free up.
void start_accepting(std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor,
                     std::shared_ptr<spdlog::logger> log, std::string what, ServeConnection serve);

}  // namespace relay::edge
