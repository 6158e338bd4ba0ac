#pragma once

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "edge/edge_state.hpp"
#include "relay/core/error_page.hpp"

namespace relay::edge {

class AgentSession;

// One public HTTP/1.1 connection (keep-alive, no pipelining): reads each request head, routes
// it by Host, and proxies it over one HTTP/2 stream to the agent (StreamProxy), or answers with
// an error page. Explicitly instantiated for plain TCP and TLS in public_connection.cpp.
template <class Stream>
class PublicConnection {
 public:
  PublicConnection(std::shared_ptr<EdgeState> state, Stream stream, std::string remote, bool tls);

  boost::asio::awaitable<void> run();

 private:
  boost::asio::awaitable<bool> serve_one();
  boost::asio::awaitable<bool> wait_for_request();
  void close_socket();

  std::shared_ptr<EdgeState> state_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::string remote_;
  bool tls_;
  bool idle_ = true;
  bool draining_ = false;
};

using PlainStream = boost::beast::tcp_stream;
using SecureStream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

}  // namespace relay::edge
