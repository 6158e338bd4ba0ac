#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace relay::agent {

// One HTTP/1.1 connection to the app, plain or TLS. beast::tcp_stream gives the timeouts.
struct UpstreamConnection {
  using Tls = boost::asio::ssl::stream<boost::beast::tcp_stream>;

  std::unique_ptr<boost::beast::tcp_stream> tcp;  // set for http://
  std::unique_ptr<Tls> tls;                       // set for https://
  boost::beast::flat_buffer buffer;               // bytes read past the last response
  bool reused = false;                            // came from the idle pool
  std::chrono::steady_clock::time_point idle_since;

  boost::beast::tcp_stream& lowest() { return tls ? tls->next_layer() : *tcp; }
};

}  // namespace relay::agent
