#include "edge/delivery_attempt.hpp"

#include <fmt/format.h>

#include "edge/agent_session.hpp"
#include "edge/buffered_exchange.hpp"
#include "relay/net/deadline.hpp"

namespace relay::edge {

namespace asio = boost::asio;

namespace {

// An answer's body beyond this is not read: only its first bytes matter to the queue, and a
// webhook answer is small. Past it the stream is reset.
constexpr std::size_t kMaxAnswerBody = 64 * 1024;

std::string failure_text(ExchangeFailure failure, const AttemptLimits& limits) {
  switch (failure) {
    case ExchangeFailure::busy:
      return fmt::format(
          "the agent's session stayed full of requests for {} s (limits.stream_wait)",
          limits.stream_wait.count());
    case ExchangeFailure::refused:
      return "the agent refused the stream (reconnecting or shutting down)";
    case ExchangeFailure::reset:
      return "the agent reset the stream";
    case ExchangeFailure::timeout:
      return fmt::format("no answer within {} s (limits.response_timeout)",
                         limits.response_timeout.count());
    case ExchangeFailure::session_lost:
    case ExchangeFailure::none:
      break;
  }
  return "the agent's session ended during the attempt";
}

}  // namespace

asio::awaitable<AttemptAnswer> attempt_delivery(std::shared_ptr<AgentSession> session,
                                                const core::Headers& headers,
                                                const std::string& body, AttemptLimits limits) {
  AttemptAnswer answer;
  const auto executor = session->executor();
  auto exchange =
      co_await BufferedExchange::send(std::move(session), headers, body, limits.response_timeout);
  if (exchange.failure() != ExchangeFailure::none) {
    answer.failure = failure_text(exchange.failure(), limits);
    co_return answer;
  }
  answer.status = exchange.status();
  answer.error_code = std::string(exchange.relay_error_code());
  if (auto retry_after = exchange.headers().get("retry-after")) {
    answer.retry_after = parse_retry_after(*retry_after, unix_now_ms());
  }
  // The body, for its first bytes, read to its end (an abandoned answer shows as a reset in
  // the agent's log) within the response timeout again: an app that trickles its answer
  // forever must not hold the delivery past its lease.
  net::Deadline deadline(executor);
  deadline.arm(limits.response_timeout, [stream = exchange.stream()] {
    if (stream) stream->reset();
  });
  auto read = co_await exchange.read_body(kMaxAnswerBody);
  deadline.disarm();
  answer.body_prefix = std::move(read.bytes);
  if (answer.body_prefix.size() > kBodyPrefixBytes) answer.body_prefix.resize(kBodyPrefixBytes);
  co_return answer;
}

}  // namespace relay::edge
