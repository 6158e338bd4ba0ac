#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "agent/upstream_connection.hpp"
#include "relay/agent/agent_options.hpp"
#include "relay/agent/upstream_address.hpp"
#include "relay/core/failure.hpp"
#include "relay/net/tls.hpp"

namespace relay::agent {

// Keep-alive connections to one upstream. take_idle() hands out an idle connection that is still
// open; connect() dials a new one: every resolved address in turn (localhost is ::1 and 127.0.0.1,
// and the app may listen on either), remembering the one that answered. Runs on the session's one
// thread: no locks.
class UpstreamPool {
 public:
  UpstreamPool(boost::asio::any_io_executor ex, UpstreamAddress address, AgentLimits limits,
               bool tls_verify);

  // An idle connection, or null when none is left (the caller then connects). `can_retry`: the
  // caller retries on a fresh connection when a reused one turns out closed, so a recently
  // used one needs no liveness check. Not a coroutine: the usual case, a pooled connection,
  // costs no coroutine frame.
  std::unique_ptr<UpstreamConnection> take_idle(bool can_retry);
  // A fresh connection, never an idle one. On failure the message says what was tried and why
  // it failed; the code tells refused (connection_refused) from timed out (timed_out) from
  // anything else.
  boost::asio::awaitable<core::Fallible<std::unique_ptr<UpstreamConnection>>> connect();
  // Returns a connection whose last exchange completed cleanly and may be reused.
  void release(std::unique_ptr<UpstreamConnection> connection);
  // The agent is stopping: idle connections close, and released ones from now on. An idle
  // connection keeps its socket's deadline wait in flight (net::Deadline is lazy), which would
  // hold the io_context open for up to a response timeout after everything else ended.
  void close();

  [[nodiscard]] const UpstreamAddress& address() const { return address_; }
  [[nodiscard]] std::size_t idle() const { return idle_.size(); }

 private:
  static bool still_open(UpstreamConnection& connection);

  boost::asio::any_io_executor executor_;
  UpstreamAddress address_;
  AgentLimits limits_;
  net::TlsContextPtr tls_context_;
  bool tls_verify_ = false;
  std::optional<boost::asio::ip::tcp::endpoint> preferred_;
  std::deque<std::unique_ptr<UpstreamConnection>> idle_;
  bool closed_ = false;
};

}  // namespace relay::agent
