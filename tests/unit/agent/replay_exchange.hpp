#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/exchange.hpp"
#include "agent/tunnel_runtime.hpp"

namespace relay::agent::test_support {

// A tunnel named "t" with no observers: what the steps need of a TunnelRuntime.
inline std::shared_ptr<TunnelRuntime> make_tunnel() {
  auto tunnel = std::make_shared<TunnelRuntime>();
  tunnel->options.name = "t";
  return tunnel;
}

// An exchange on a socket-free stream (RequestStream(headers, body), as the inspector's replay
// makes): what a step sees, without an edge. Held by pointer: the capture recording points into it.
inline std::unique_ptr<Exchange> make_exchange(const std::shared_ptr<TunnelRuntime>& tunnel,
                                               std::string method, std::string path,
                                               const core::Headers& fields = {},
                                               std::string body = {}) {
  core::Headers headers{
      {":method", method}, {":path", path}, {":authority", "t.relay.test"}, {":scheme", "https"}};
  for (const auto& f : fields) headers.add(f.name, f.value);
  auto x = std::make_unique<Exchange>();
  x->stream.emplace(RequestStream(std::move(headers), std::move(body)));
  x->tunnel = tunnel;
  // Views, as serve_request sets them: of the stream's own fields.
  const auto& held = x->stream->headers();
  x->method = *held.get(":method");
  x->path = *held.get(":path");
  x->authority = *held.get(":authority");
  x->scheme = *held.get(":scheme");
  x->request_id = "req-1";
  x->started = std::chrono::steady_clock::now();
  return x;
}

// Runs `task` on `io` to completion and returns its value (rethrowing what escaped it). Stops
// `io` then: other work (a test's own server) stays suspended until the next run.
template <class T>
T run_to_end(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
    io.stop();
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void run_to_end(boost::asio::io_context& io, boost::asio::awaitable<void> task) {
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
    error = e;
    io.stop();
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
}

}  // namespace relay::agent::test_support
