#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "edge/edge_state.hpp"
#include "edge/proxy_answer.hpp"
#include "edge/response_head.hpp"
#include "edge/stream_budget.hpp"
#include "edge/stream_target.hpp"
#include "relay/core/error_page.hpp"
#include "relay/net/deadline.hpp"
#include "relay/net/h2_session.hpp"

namespace relay::edge {

class AgentSession;
class BodyRateGuard;

using PublicRequestParser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

// What happened to one proxied request, for the log line and the connection's next step.
struct ProxyOutcome {
  int status = 0;               // 0: nothing could be sent
  std::string_view error_code;  // set when relay answered instead of the app
  bool keep_alive = false;
  std::uint64_t bytes_in = 0;   // request body bytes read from the caller
  std::uint64_t bytes_out = 0;  // response body bytes written to the caller
};

// One public request ↔ one HTTP/2 stream to the agent: streams the request body up (under the
// stream's flow control), waits for the response head (response_timeout), and writes the
// HTTP/1.1 response, streaming its body down. Upload and response run together, so an app that
// answers before reading the whole body works. Instantiated for both public stream types.
template <class Stream>
class StreamProxy {
 public:
  struct Request {
    std::string_view tunnel;
    std::string_view request_id;
    std::string_view remote;
    bool tls = false;
    bool keep_alive = true;
  };

  // `response_deadline`: the caller's, disarmed when this proxy ends. A connection's requests
  // share one, so that a keep-alive connection keeps one timer wait in flight (Deadline re-arms
  // for later without a timer operation) instead of starting and cancelling one per request.
  StreamProxy(EdgeState& state, Stream& stream, boost::beast::flat_buffer& buffer,
              PublicRequestParser& parser, std::shared_ptr<StreamTarget> session, Request request,
              net::Deadline& response_deadline);
  StreamProxy(const StreamProxy&) = delete;
  StreamProxy& operator=(const StreamProxy&) = delete;
  ~StreamProxy();

  boost::asio::awaitable<ProxyOutcome> run();

 private:
  boost::asio::awaitable<void> upload();
  boost::asio::awaitable<void> upload_sized(std::uint64_t left, std::optional<BodyRateGuard>& rate);
  // Around each read of the body, for both uploads: the idle deadline and the rate guard
  // before it, what was read after it. False when the upload ends there (the stream is reset
  // and upload_error_ says why): the app must not see a partial body as a complete one.
  bool before_body_read(std::optional<BodyRateGuard>& rate, std::function<std::size_t()> filled);
  bool after_body_read(std::optional<BodyRateGuard>& rate, core::error_code ec, std::size_t got);
  boost::asio::awaitable<void> respond();
  struct ResponseStart {
    ResponsePlan plan;
    std::string head;
  };
  ResponseStart start_response();
  // Relay's own answer instead of the app's (proxy_answer.hpp chooses it).
  boost::asio::awaitable<void> respond_error(core::ErrorPage page);
  boost::asio::awaitable<bool> write(std::string_view bytes);
  // cluster: peer link. "the agent for tunnel 'x'", or the peer edge holding it.
  [[nodiscard]] std::string holder() const;
  void arm_response_deadline();

  EdgeState& state_;
  Stream& stream_;
  boost::beast::flat_buffer& buffer_;
  PublicRequestParser& parser_;
  std::shared_ptr<StreamTarget> session_;  // cluster: peer link (the agent, or a peer edge)
  Request request_;
  std::shared_ptr<net::H2Stream> h2_;
  net::Deadline& response_deadline_;
  ProxyOutcome outcome_;
  std::optional<std::uint64_t> response_length_;  // the app's Content-Length (start_response)
  std::unique_ptr<char[]> upload_buffer_;
  std::size_t upload_size_ = 0;
  bool upload_done_ = false;
  UploadError upload_error_ = UploadError::none;
  bool timed_out_ = false;
  bool responded_ = false;              // response bytes reached the public connection
  StreamBudget::Ticket stream_ticket_;  // held until the response is done
  int retry_after_ = 0;                 // seconds, for a 503 when the session is full
};

}  // namespace relay::edge
