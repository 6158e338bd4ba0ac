#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "edge/edge_state.hpp"
#include "edge/stream_proxy.hpp"
#include "relay/core/buffer_policy.hpp"
#include "relay/core/headers.hpp"

namespace relay::edge {

class AgentSession;

// One public request to a tunnel with a buffer policy (docs/delivery.md): reads the whole body
// (up to limits.buffer_max_body, at the body rate of the hardening limits), then follows
// buffered_request.hpp's decisions: the dedupe answer, the live try (offline mode; the app's
// own answer passes through), the durable append and its "queued" answer, or a 413/503.
// Tunnels without a policy never get here (PublicConnection::serve_one). Instantiated for both
// public stream types.
template <class Stream>
class BufferedAccept {
 public:
  struct Request {
    std::string_view tunnel;
    std::string_view request_id;
    std::string_view remote;  // relay-remote-addr
    bool tls = false;
    bool keep_alive = true;
  };

  BufferedAccept(EdgeState& state, Stream& stream, boost::beast::flat_buffer& buffer,
                 PublicRequestParser& parser, core::BufferPolicy policy, Request request);

  boost::asio::awaitable<ProxyOutcome> run();

 private:
  std::shared_ptr<AgentSession> live_session() const;
  // false: the body could not be read whole, and the caller was answered (or is gone).
  boost::asio::awaitable<bool> read_body();
  boost::asio::awaitable<void> go_live(std::shared_ptr<AgentSession> session, bool handshake);
  boost::asio::awaitable<void> queue(bool session_live);
  boost::asio::awaitable<void> answer_queued(const std::string& delivery_id, bool duplicate);
  boost::asio::awaitable<void> answer_error(int status, std::string_view code, std::string message,
                                            int retry_after = 0);
  boost::asio::awaitable<bool> write(std::string_view bytes);
  [[nodiscard]] std::string request_url() const;

  EdgeState& state_;
  Stream& stream_;
  boost::beast::flat_buffer& buffer_;
  PublicRequestParser& parser_;
  core::BufferPolicy policy_;  // a copy: a bind may change the name's policy meanwhile
  Request request_;
  ProxyOutcome outcome_;
  core::Headers headers_;  // as make_stream_headers builds them: what is sent or stored
  std::string body_;
  std::string event_id_;
  std::int64_t received_at_ms_ = 0;
};

}  // namespace relay::edge
