#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "agent/response_head_parser.hpp"
#include "relay/net/timed_socket.hpp"

namespace relay::agent {

// One HTTP/1.1 connection to the app, plain or TLS. net::TimedSocket gives the timeouts.
struct UpstreamConnection {
  using Tls = boost::asio::ssl::stream<net::TimedSocket>;

  std::unique_ptr<net::TimedSocket> tcp;  // set for http://
  std::unique_ptr<Tls> tls;               // set for https://
  boost::beast::flat_buffer buffer;       // bytes read past the last response
  // The response being read (exchange_with_upstream). Kept here, not in the exchange's
  // coroutine frame: the parser (~270 bytes) took that frame past what Asio recycles (~1 KB),
  // and it was then malloc'd for every request.
  std::optional<ResponseHeadParser> response;
  bool reused = false;  // came from the idle pool
  std::chrono::steady_clock::time_point idle_since;

  net::TimedSocket& lowest() { return tls ? tls->next_layer() : *tcp; }
};

}  // namespace relay::agent
