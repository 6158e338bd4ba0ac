#include "edge/delivery_attempt.hpp"

#include <fmt/format.h>

#include "edge/agent_session.hpp"
#include "edge/deadline.hpp"
#include "relay/core/error_page.hpp"
#include "relay/net/error.hpp"

namespace relay::edge {

namespace asio = boost::asio;

namespace {

// An answer's body beyond this is not read: only its first bytes matter to the queue, and an
// app streaming forever must not hold the delivery.
constexpr std::size_t kMaxAnswerBody = 1024 * 1024;

std::string failure_of(const core::error_code& ec, bool timed_out, std::chrono::seconds timeout) {
  if (timed_out) {
    return fmt::format("no answer within {} s (limits.response_timeout)", timeout.count());
  }
  if (ec == net::Errc::refused) {
    return "the agent refused the stream (reconnecting or shutting down)";
  }
  if (ec == net::Errc::stream_reset) return "the agent reset the stream";
  return "the agent's session ended during the attempt";
}

}  // namespace

asio::awaitable<AttemptAnswer> attempt_delivery(std::shared_ptr<AgentSession> session,
                                                const core::Headers& headers,
                                                const std::string& body, AttemptLimits limits) {
  AttemptAnswer answer;
  // A place among the streams the agent allows, like a live request: when the session is full
  // of live traffic the delivery waits for its turn (and tries again later when it stays full).
  auto ticket = co_await session->reserve_stream();
  if (!ticket.valid()) {
    answer.failure =
        fmt::format("the agent's session stayed full of requests for {} s (limits.stream_wait)",
                    limits.stream_wait.count());
    co_return answer;
  }
  auto opened = session->open_stream(headers, body.empty());
  if (!opened) {
    answer.failure = failure_of(opened.error(), false, limits.response_timeout);
    co_return answer;
  }
  auto stream = *opened;
  bool timed_out = false;
  Deadline deadline(session->executor());
  const auto arm = [&] {
    deadline.arm(limits.response_timeout, [&timed_out, stream] {
      timed_out = true;
      stream->reset();
    });
  };
  // Bounded while sending too: an agent whose window stays shut must not hold the lease.
  arm();
  if (!body.empty()) {
    if (auto ec = co_await stream->write(body, true)) {
      answer.failure = failure_of(ec, timed_out, limits.response_timeout);
      co_return answer;
    }
    arm();  // the response timeout counts from the moment the app has the whole request
  }
  if (auto ec = co_await stream->wait_headers()) {
    answer.failure = failure_of(ec, timed_out, limits.response_timeout);
    co_return answer;
  }
  answer.status = stream->status();
  const auto& answer_headers = stream->headers();
  if (auto code = answer_headers.get(core::kRelayErrorCodeHeader)) answer.error_code = *code;
  if (auto retry_after = answer_headers.get("retry-after")) {
    answer.retry_after = parse_retry_after(*retry_after, unix_now_ms());
  }
  // The body, for its first bytes: read to its end (a reset mid-answer would read as a failure
  // in the agent's log), within the same deadline and up to a cap.
  arm();
  std::size_t total = 0;
  std::string chunk;
  for (;;) {
    if (co_await stream->read(chunk)) break;  // cut: the status is what counts
    if (chunk.empty()) break;
    if (answer.body_prefix.size() < kBodyPrefixBytes) {
      answer.body_prefix.append(chunk, 0, kBodyPrefixBytes - answer.body_prefix.size());
    }
    total += chunk.size();
    if (total > kMaxAnswerBody) {
      stream->reset();
      break;
    }
  }
  deadline.disarm();
  co_return answer;
}

}  // namespace relay::edge
