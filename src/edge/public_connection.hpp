#pragma once

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>

#include "edge/edge_state.hpp"
#include "edge/first_bytes.hpp"
#include "edge/per_ip_counter.hpp"
#include "relay/core/error_page.hpp"

namespace relay::edge {

class AgentSession;

// One public HTTP/1.1 connection (keep-alive, no pipelining): reads each request head, routes
// it by Host, and proxies it over one HTTP/2 stream to the agent (StreamProxy), or answers with
// an error page. Explicitly instantiated for plain TCP and TLS in public_connection.cpp.
template <class Stream>
class PublicConnection {
 public:
  // `peer`: the socket's remote address, for the per-client caps and X-Forwarded-For;
  // `pending`: a TLS connection's pending-handshake slot, released once its handshake is done.
  PublicConnection(std::shared_ptr<EdgeState> state, Stream stream, std::string remote,
                   const boost::asio::ip::address& peer, std::optional<PendingHandshake> pending,
                   bool tls);

  boost::asio::awaitable<void> run();

 private:
  boost::asio::awaitable<bool> serve_one();
  boost::asio::awaitable<bool> wait_for_request();
  void close_socket();
  boost::asio::awaitable<void> refuse_connection();
  [[nodiscard]] boost::asio::ip::address client_address(
      const boost::beast::http::request_header<>& request) const;

  std::shared_ptr<EdgeState> state_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::string remote_;
  boost::asio::ip::address peer_;
  bool trusted_peer_ = false;  // a --trusted-proxies load balancer: not capped per address
  std::optional<PerIpCounter::Slot> connection_slot_;
  std::optional<PendingHandshake> pending_;
  bool tls_;
  bool idle_ = true;
  bool draining_ = false;
};

using PlainStream = boost::beast::tcp_stream;
using SecureStream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

}  // namespace relay::edge
