#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>

#include "edge/stream_budget.hpp"
#include "relay/core/headers.hpp"
#include "relay/core/result.hpp"
#include "relay/net/h2_session.hpp"

namespace relay::edge {

class AgentSession;
struct EdgeState;

// Why a fully buffered request got no answer at all (an answer the agent made itself, like its
// 502 RELAY_UPSTREAM_REFUSED page, is an answer: the caller judges it by status and headers).
enum class ExchangeFailure {
  none,
  busy,          // every stream the agent allows stayed taken for limits.stream_wait
  refused,       // the session is going away (GOAWAY) or refused the stream: safe to retry
  session_lost,  // the connection to the agent ended before the response head
  reset,         // the agent reset the stream
  timeout,       // no response head within the deadline (the stream is reset)
};
std::string_view to_string(ExchangeFailure failure);

// A request whose headers and body the edge holds completely (a buffered tunnel's public
// request, a queued delivery), sent over one HTTP/2 stream of a live agent session. Shared by
// the accept path (offline mode's live try) and the delivery scheduler. On the io thread.
//
//   auto exchange = co_await BufferedExchange::send(session, headers, body, timeout);
//   if (exchange.failure() != ExchangeFailure::none) ...;        // nothing came back
//   exchange.status(); exchange.headers();                          // the response head
//   co_await exchange.read_body(cap)  or  co_await write_response(...) (the public side)
class BufferedExchange {
 public:
  // Reserves a stream (waiting up to limits.stream_wait), opens it with `headers` and `body`,
  // and waits for the response head for at most `timeout` from when the body was handed to the
  // session. `body` must stay valid until send() returns.
  static boost::asio::awaitable<BufferedExchange> send(std::shared_ptr<AgentSession> session,
                                                       const core::Headers& headers,
                                                       std::string_view body,
                                                       std::chrono::steady_clock::duration timeout);

  BufferedExchange() = default;
  BufferedExchange(BufferedExchange&&) noexcept = default;
  BufferedExchange& operator=(BufferedExchange&&) noexcept = default;
  BufferedExchange(const BufferedExchange&) = delete;
  BufferedExchange& operator=(const BufferedExchange&) = delete;
  ~BufferedExchange();  // resets a stream whose body was not read to its end

  [[nodiscard]] ExchangeFailure failure() const { return failure_; }
  // The response head (":status" first, as the agent sent it); valid when failure() is none.
  [[nodiscard]] int status() const;
  [[nodiscard]] const core::Headers& headers() const;
  // Relay-Error-Code of the answer ("" for the app's own): the agent's RELAY_UPSTREAM_*.
  [[nodiscard]] std::string_view relay_error_code() const;

  struct Body {
    std::string bytes;
    bool truncated = false;  // more than `cap`: the rest was discarded and the stream reset
    core::error_code error;  // the stream ended before the body did
  };
  // The whole response body, at most `cap` bytes.
  boost::asio::awaitable<Body> read_body(std::size_t cap);

  // The stream, for streaming the body elsewhere (write_response below); null on failure.
  [[nodiscard]] const std::shared_ptr<net::H2Stream>& stream() const { return stream_; }
  // Abandons the response (RST_STREAM): its body is not wanted.
  void abandon();

 private:
  ExchangeFailure failure_ = ExchangeFailure::none;
  std::shared_ptr<AgentSession> session_;  // keeps the budget the ticket points into alive
  StreamBudget::Ticket ticket_;            // the stream's place, until the exchange ends
  std::shared_ptr<net::H2Stream> stream_;
};

// What writing an exchange's response to a public HTTP/1.1 connection did, for the log line.
struct WrittenResponse {
  int status = 0;
  bool keep_alive = false;
  std::string_view error_code;  // the agent's RELAY_* code, when it answered for the app
};

// Streams the exchange's response (head, then body as it arrives) to a public connection, as
// StreamProxy does for a streamed request. `request` is the public request's head (method and
// version decide the framing). Instantiated for the public stream types (public_connection.hpp).
template <class Stream>
boost::asio::awaitable<WrittenResponse> write_response(
    EdgeState& state, Stream& stream, BufferedExchange& exchange,
    const boost::beast::http::request_header<>& request, bool keep_alive);

}  // namespace relay::edge
