#include "agent/connect_handshake.hpp"

#include <algorithm>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "relay/agent/agent_error.hpp"
#include "relay/net/deadline.hpp"

namespace relay::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace protocol = net::protocol;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kTimeout = std::chrono::seconds{15};

// Retry-After as delay-seconds (what the edge sends), bounded: a broken or hostile value must
// not park the agent for days. An HTTP-date or garbage gives the default.
std::chrono::seconds parse_retry_after(std::string_view text) {
  constexpr std::chrono::seconds kDefault{60};
  constexpr std::chrono::seconds kMax{3600};
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    return kDefault;
  }
  std::chrono::seconds value{std::stol(std::string(text))};
  return std::clamp(value, std::chrono::seconds{1}, kMax);
}
}  // namespace

DialFailure classify_connect_refusal(int status, std::string_view body,
                                     std::string_view retry_after) {
  auto parsed = protocol::parse_error_body(body);
  std::string message = parsed && !parsed->message.empty()
                            ? parsed->message
                            : "the edge answered " + std::to_string(status);
  switch (status) {
    case 401:
    case 403:
      // The edge's message already says what to check; add the hint only when it sent none.
      return {AgentErrc::authentication_failed,
              "authentication failed: " +
                  (parsed && !parsed->message.empty()
                       ? message
                       : message +
                             "; check --authtoken (or RELAY_AUTHTOKEN) against the edge's tokens"),
              true};
    case 409:
      return {AgentErrc::name_taken, message, true};
    case 429: {
      // Too many failed authtokens from this address (maybe not ours: a shared address). Not
      // permanent: the block ends, and the agent retries once the edge allows it.
      DialFailure f{AgentErrc::edge_unreachable,
                    "the edge refuses connections from this address for now: " + message +
                        " (if this agent's --authtoken is right, another client at this address "
                        "sent wrong ones)",
                    false};
      f.retry_after = parse_retry_after(retry_after);
      return f;
    }
    case 400:
      return {AgentErrc::rejected, "the edge rejected the connection: " + message, true};
    default:
      return {AgentErrc::edge_unreachable,
              "the edge answered " + std::to_string(status) + " to the connect request: " + message,
              false};
  }
}

asio::awaitable<DialResult<std::string>> connect_handshake(
    net::TlsStream& stream, const std::string& host, const std::string& authtoken,
    const protocol::ConnectRequest& request) {
  net::Deadline deadline(stream.get_executor());
  deadline.arm(kTimeout, [&stream] {
    boost::system::error_code ignored;
    stream.next_layer().close(ignored);
  });
  http::request<http::string_body> req{http::verb::post, std::string(protocol::kConnectPath), 11};
  req.set(http::field::host, host);
  if (!authtoken.empty()) req.set(http::field::authorization, "Bearer " + authtoken);
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::upgrade, protocol::kUpgradeToken);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::user_agent, "relay-agent/" + request.agent_version);
  req.body() = protocol::serialize(request);
  req.prepare_payload();

  auto [wec, wn] = co_await http::async_write(stream, req, kUseTuple);
  if (wec) {
    co_return DialFailure{deadline.expired() ? core::error_code(asio::error::timed_out) : wec,
                          "sending the connect request failed: " +
                              (deadline.expired() ? std::string("timed out") : wec.message()),
                          false};
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kUseTuple);
  if (rec) {
    co_return DialFailure{deadline.expired() ? core::error_code(asio::error::timed_out) : rec,
                          "reading the edge's answer to the connect request failed: " +
                              (deadline.expired() ? std::string("timed out") : rec.message()) +
                              " (is " + host + " a relay edge's agent listener?)",
                          false};
  }
  const auto& res = parser.get();
  if (res.result() != http::status::switching_protocols) {
    co_return classify_connect_refusal(static_cast<int>(res.result_int()), res.body(),
                                       res[http::field::retry_after]);
  }
  // HTTP/2 begins right after the 101 head; whatever arrived with it belongs to the session.
  co_return beast::buffers_to_string(buffer.data());
}

}  // namespace relay::agent
