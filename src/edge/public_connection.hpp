#pragma once

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>

#include "edge/buffered_accept.hpp"
#include "edge/edge_state.hpp"
#include "edge/first_bytes.hpp"
#include "edge/per_ip_counter.hpp"
#include "edge/public_refusal.hpp"
#include "edge/stream_proxy.hpp"
#include "relay/core/error_page.hpp"
#include "relay/net/deadline.hpp"
#include "relay/net/timed_socket.hpp"

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
  // What one request's log line says, gathered while it is served.
  struct RequestRecord {
    std::chrono::steady_clock::time_point started;
    std::string tunnel = "-";
    ProxyOutcome outcome{};
  };
  // Where a request goes, as far as the edge found out (find_route, find_route_elsewhere).
  struct Route {
    std::string_view host;
    std::string tunnel;  // empty until the host routed
    std::optional<PublicRefusal> refusal;
    SessionRegistry::State state = SessionRegistry::State::not_found;
    bool live_here = false;                      // a live session on this edge
    std::shared_ptr<StreamTarget> target;        // the session, or (cluster) a peer edge's link
    const core::BufferPolicy* policy = nullptr;  // durable delivery: the tunnel buffers
  };

  boost::asio::awaitable<bool> serve_one();
  boost::asio::awaitable<boost::system::error_code> read_rest_of_head();
  Route find_route(const boost::beast::http::request_header<>& request);
  boost::asio::awaitable<void> find_route_elsewhere(Route& route);
  boost::asio::awaitable<bool> refuse(const PublicRequestParser& parser, RequestRecord& record,
                                      PublicRefusal why, const RefusalContext& context,
                                      bool reusable);
  boost::asio::awaitable<bool> refuse_unread(const PublicRequestParser& parser,
                                             RequestRecord& record, PublicRefusal why,
                                             const boost::system::error_code& ec);
  boost::asio::awaitable<bool> refuse_route(const PublicRequestParser& parser,
                                            RequestRecord& record, const Route& route,
                                            bool reusable);
  boost::asio::awaitable<bool> answer(const PublicRequestParser& parser, RequestRecord& record,
                                      core::ErrorPage page, bool keep_alive, int retry_after = 0);
  void log_request(const boost::beast::http::request_header<>& request,
                   const RequestRecord& record) const;
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
  // The request being served (set by serve_one, cleared by run after it), kept here rather
  // than in serve_one's coroutine frame: Asio recycles frames up to ~1 KiB but mallocs larger
  // ones for every call, and these three were 40% of a 2.4 KiB frame.
  std::optional<PublicRequestParser> parser_;
  net::Deadline response_deadline_;  // StreamProxy's, shared by the connection's requests
  std::optional<StreamProxy<Stream>> proxy_;
  std::optional<BufferedAccept<Stream>> accept_;
  bool tls_;
  bool idle_ = true;
  bool draining_ = false;
};

// beast::tcp_stream's contract at a fraction of its cost per read and write (timed_socket.hpp).
using PlainStream = net::TimedSocket;
using SecureStream = boost::asio::ssl::stream<net::TimedSocket>;

}  // namespace relay::edge
