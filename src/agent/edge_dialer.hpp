#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include "relay/agent/agent_options.hpp"
#include "relay/core/failure.hpp"
#include "relay/core/result.hpp"
#include "relay/net/tls.hpp"

namespace relay::agent {

struct EdgeEndpoint {
  std::string host;
  std::string port;
};

// "host:port", "[::1]:4443", or "host" (port 4443); a failure saying how to write it when not.
core::Fallible<EdgeEndpoint> parse_edge_endpoint(std::string_view text);

// The outcome of an attempt to reach the edge: a message for the user and whether retrying
// can help.
struct DialFailure {
  core::error_code ec;
  std::string message;
  bool permanent = false;
  // The edge said when to try again (429 with Retry-After): the next attempt waits at least this.
  std::chrono::seconds retry_after{0};
};

// A step of reaching the edge: its T, or the DialFailure saying why not (one channel).
template <class T>
using DialResult = boost::system::result<T, DialFailure>;

// value() on a failure is a programming error (check first): thrown.
[[noreturn]] void throw_exception_from_error(const DialFailure& failure,
                                             const boost::source_location& where);

// TCP to every resolved address of the edge in turn, TCP_NODELAY, then TLS (ALPN relay/1)
// verified against the system store, --edge-ca, or the pinned certificate of the embedded
// edge. Construction throws std::runtime_error on a malformed `edge` or an unusable CA file.
// `address_index`: the resolved address tried first is the (index % count)-th, so that links
// to one name that resolves to several edges go to different ones (resolved once per dial).
class EdgeDialer {
 public:
  EdgeDialer(boost::asio::any_io_executor ex, const AgentOptions& options, std::string_view edge,
             std::size_t address_index = 0);

  boost::asio::awaitable<DialResult<net::TlsStream>> dial();
  [[nodiscard]] const EdgeEndpoint& endpoint() const { return endpoint_; }
  // "host:port" as configured.
  [[nodiscard]] std::string where() const { return endpoint_.host + ":" + endpoint_.port; }
  // The address the last successful dial reached ("127.0.0.1:4443"); empty before.
  [[nodiscard]] const std::string& connected_address() const { return connected_; }

 private:
  boost::asio::any_io_executor executor_;
  EdgeEndpoint endpoint_;
  std::size_t address_index_;
  std::string connected_;
  net::TlsContextPtr context_;
  bool verify_host_;
  std::chrono::seconds timeout_{10};
};

}  // namespace relay::agent
