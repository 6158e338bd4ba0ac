#include "edge/tls_opening.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "edge/edge_state.hpp"
#include "edge/listen_socket.hpp"
#include "relay/core/log.hpp"
#include "relay/net/socket_options.hpp"

namespace relay::edge {

namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<std::optional<TlsOpening>> open_tls(EdgeState& state, asio::ssl::context& tls,
                                                    tcp::socket socket,
                                                    std::chrono::steady_clock::duration timeout,
                                                    std::string_view what) {
  net::tune_socket(socket);
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  TlsOpening opening{net::TlsStream(std::move(socket), tls),
                     ec ? std::nullopt : std::optional<tcp::endpoint>(endpoint),
                     ec ? "unknown" : to_string(endpoint),
                     {},
                     std::make_unique<net::Deadline>(state.executor)};
  // The socket lives in the stream's heap state: the address stays valid as the stream moves.
  auto close_socket = [socket = &opening.stream.lowest_layer()] {
    boost::system::error_code ignored;
    socket->close(ignored);
  };
  opening.tracked = state.agent_connections.add({close_socket, close_socket});
  // A slow-loris guard: the handshake, and what the listener reads after it, must arrive in time.
  opening.deadline->arm(timeout, close_socket);
  auto [hs_ec] = co_await opening.stream.async_handshake(asio::ssl::stream_base::server,
                                                         asio::as_tuple(asio::use_awaitable));
  if (hs_ec) {
    core::log_event(*state.log, spdlog::level::debug, std::string(what) + " TLS handshake failed",
                    {{"remote", opening.remote}, {"error", hs_ec.message()}});
    co_return std::nullopt;
  }
  co_return std::move(opening);
}

}  // namespace relay::edge
