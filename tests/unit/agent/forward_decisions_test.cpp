#include "agent/forward_decisions.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include "relay/core/error_page.hpp"

namespace relay::agent {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using ::testing::HasSubstr;
using Where = UpstreamFailure::Where;
using Action = ForwardReport::Action;

UpstreamAddress local3000() { return {false, "localhost", 3000}; }

UpstreamRequestHead head(BodyFraming framing) {
  return {"POST /hook HTTP/1.1\r\nhost: x\r\n\r\n", framing, "POST", "/hook"};
}

// --- What to send ---

TEST(ForwardDecisions, GathersOnlySmallBodiesOfKnownLength) {
  EXPECT_TRUE(gathers_whole_body(0));
  EXPECT_TRUE(gathers_whole_body(kForwardChunk));
  EXPECT_FALSE(gathers_whole_body(kForwardChunk + 1));
  EXPECT_FALSE(gathers_whole_body(std::nullopt));
}

TEST(ForwardDecisions, ReplayableOnlyWhenNoCallerByteIsLost) {
  EXPECT_TRUE(is_replayable(true, false, BodyFraming::chunked, "abc"));
  EXPECT_TRUE(is_replayable(false, true, BodyFraming::content_length, "abc"));
  EXPECT_TRUE(is_replayable(false, false, BodyFraming::none, ""));
  EXPECT_FALSE(is_replayable(false, false, BodyFraming::chunked, "abc"));
  EXPECT_FALSE(is_replayable(false, false, BodyFraming::chunked, ""));
}

// The pieces are views: the head must outlive the write, as it does in the exchange.
TEST(ForwardDecisions, BufferedBodyGoesWholeWithItsEndInTheFirstWrite) {
  const auto chunked = head(BodyFraming::chunked);
  OutgoingRequest out;
  EXPECT_TRUE(begin_request(out, chunked, std::string_view("hello"), ""));
  EXPECT_EQ(out.flatten(), "POST /hook HTTP/1.1\r\nhost: x\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
}

TEST(ForwardDecisions, PrefixGoesFramedAndTheBodyStaysOpen) {
  const auto chunked = head(BodyFraming::chunked);
  const auto sized = head(BodyFraming::content_length);
  OutgoingRequest out;
  EXPECT_FALSE(begin_request(out, chunked, std::nullopt, "abc"));
  EXPECT_EQ(out.flatten(), "POST /hook HTTP/1.1\r\nhost: x\r\n\r\n3\r\nabc\r\n");
  OutgoingRequest plain;
  EXPECT_FALSE(begin_request(plain, sized, std::nullopt, "abc"));
  EXPECT_EQ(plain.flatten(), "POST /hook HTTP/1.1\r\nhost: x\r\n\r\nabc");
}

TEST(ForwardDecisions, NoBodyIsTheWholeRequest) {
  const auto none = head(BodyFraming::none);
  OutgoingRequest out;
  EXPECT_TRUE(begin_request(out, none, std::nullopt, ""));
  EXPECT_EQ(out.flatten(), "POST /hook HTTP/1.1\r\nhost: x\r\n\r\n");
}

TEST(ForwardDecisions, RetriesOnceOnAFreshConnectionOnlyForAStaleKeptAliveOne) {
  const UpstreamFailure stale{Where::upstream_before_response, asio::error::connection_reset, {}};
  EXPECT_TRUE(retry_on_fresh_connection(true, 0, true, stale));
  EXPECT_FALSE(retry_on_fresh_connection(false, 0, true, stale));  // a fresh one failed
  EXPECT_FALSE(retry_on_fresh_connection(true, 1, true, stale));   // once only
  EXPECT_FALSE(retry_on_fresh_connection(true, 0, false, stale));  // the body is gone
  const UpstreamFailure timeout{Where::upstream_timeout, beast::error::timeout, {}};
  EXPECT_FALSE(retry_on_fresh_connection(true, 0, true, timeout));
}

// --- How to read the app's answer ---

TEST(ForwardDecisions, ClassifiesWriteAndHeadFailures) {
  EXPECT_EQ(write_failure(beast::error::timeout).where, Where::upstream_timeout);
  EXPECT_EQ(write_failure(asio::error::timed_out).where, Where::upstream_timeout);
  EXPECT_EQ(write_failure(asio::error::broken_pipe).where, Where::upstream_before_response);
  EXPECT_EQ(head_failure(http::error::end_of_stream).where, Where::upstream_before_response);
  EXPECT_EQ(head_failure(http::error::partial_message).where, Where::upstream_before_response);
  const auto bad = head_failure(http::error::bad_content_length);
  EXPECT_EQ(bad.where, Where::upstream_invalid);
  EXPECT_EQ(bad.why, core::error_code(http::error::bad_content_length).message());
}

TEST(ForwardDecisions, MalformedBodyIsA502OnlyBeforeTheHeadWent) {
  EXPECT_EQ(body_failure(http::error::bad_chunk, false).where, Where::upstream_invalid);
  EXPECT_EQ(body_failure(http::error::bad_chunk, true).where, Where::upstream_after_response);
  EXPECT_EQ(body_failure(asio::error::connection_reset, false).where,
            Where::upstream_after_response);
}

TEST(ForwardDecisions, SkipsInterimResponsesButNotSwitchingProtocols) {
  EXPECT_TRUE(is_interim(100));
  EXPECT_TRUE(is_interim(103));
  EXPECT_FALSE(is_interim(101));
  EXPECT_FALSE(is_interim(200));
  EXPECT_FALSE(is_interim(502));
}

// The problem response_framing_problem finds in a response head, parsed as the exchange does.
std::optional<std::string> problem_in(std::string_view text) {
  http::response_parser<http::buffer_body> parser;
  parser.eager(false);
  core::error_code ec;
  parser.put(asio::buffer(text.data(), text.size()), ec);
  if (ec) return "beast refused it: " + ec.message();
  const auto length = parser.content_length();
  return response_framing_problem(parser.get(), parser.get().version(), parser.chunked(),
                                  length ? std::optional(*length) : std::nullopt);
}

TEST(ForwardDecisions, AcceptsPlainlyFramedResponses) {
  EXPECT_EQ(problem_in("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"), std::nullopt);
  EXPECT_EQ(problem_in("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"), std::nullopt);
  EXPECT_EQ(problem_in("HTTP/1.1 204 No Content\r\n\r\n"), std::nullopt);
}

TEST(ForwardDecisions, RefusesSmugglingShapedResponses) {
  EXPECT_NE(problem_in("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n"), std::nullopt);
  EXPECT_NE(problem_in("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: "
                       "5\r\n\r\n"),
            std::nullopt);
}

TEST(ForwardDecisions, SizesTheResponseBufferToAKnownLength) {
  EXPECT_EQ(response_buffer_size(std::nullopt), kForwardChunk);
  EXPECT_EQ(response_buffer_size(0), 1U);
  EXPECT_EQ(response_buffer_size(42), 42U);
  EXPECT_EQ(response_buffer_size(10 * kForwardChunk), kForwardChunk);
}

// --- What the caller gets ---

TEST(ForwardDecisions, ConnectFailuresSayWhatToCheck) {
  const auto up = local3000();
  auto refused = report_connect_failure({asio::error::connection_refused, "connect: refused"}, up,
                                        std::chrono::seconds{10});
  EXPECT_EQ(refused.action, Action::error_page);
  EXPECT_EQ(refused.status, 502);
  EXPECT_EQ(refused.code, core::error_codes::upstream_refused);
  EXPECT_THAT(refused.message, HasSubstr("Is your app listening on localhost:3000?"));
  EXPECT_EQ(refused.detail, "connect: refused");

  auto slow = report_connect_failure({asio::error::timed_out, "connect: timed out"}, up,
                                     std::chrono::seconds{10});
  EXPECT_EQ(slow.status, 504);
  EXPECT_EQ(slow.code, core::error_codes::upstream_timeout);
  EXPECT_THAT(slow.message, HasSubstr("within 10 s"));

  auto other = report_connect_failure({asio::error::host_not_found, "cannot resolve x"}, up,
                                      std::chrono::seconds{10});
  EXPECT_EQ(other.status, 502);
  EXPECT_EQ(other.code, core::error_codes::upstream_failed);
  EXPECT_THAT(other.message, HasSubstr("cannot resolve x"));
}

TEST(ForwardDecisions, ExchangeFailuresBecomePagesOrResets) {
  const auto up = local3000();
  const auto seconds = std::chrono::seconds{60};
  auto timeout = report_failure({Where::upstream_timeout, beast::error::timeout, {}}, up, seconds,
                                "POST", "/hook");
  EXPECT_EQ(timeout.action, Action::error_page);
  EXPECT_EQ(timeout.status, 504);
  EXPECT_THAT(timeout.message, HasSubstr("did not answer within 60 s"));
  EXPECT_THAT(timeout.message, HasSubstr("POST /hook"));

  auto broke = report_failure({Where::upstream_before_response, asio::error::connection_reset, {}},
                              up, seconds, "GET", "/");
  EXPECT_EQ(broke.status, 502);
  EXPECT_EQ(broke.code, core::error_codes::upstream_failed);

  auto invalid = report_failure({Where::upstream_invalid, {}, "its body length is ambiguous"}, up,
                                seconds, "GET", "/");
  EXPECT_EQ(invalid.status, 502);
  EXPECT_EQ(invalid.detail,
            "the app sent an invalid HTTP/1.1 response: its body length is ambiguous");

  auto gone =
      report_failure({Where::caller, asio::error::operation_aborted, {}}, up, seconds, "GET", "/");
  EXPECT_EQ(gone.action, Action::reset_stream);
  EXPECT_EQ(gone.h2_error, 0x8U);  // CANCEL
  EXPECT_TRUE(gone.code.empty());  // relay did not answer: the caller left
  EXPECT_THAT(gone.detail, HasSubstr("the caller went away"));

  auto cut = report_failure({Where::upstream_after_response, asio::error::eof, {}}, up, seconds,
                            "GET", "/");
  EXPECT_EQ(cut.action, Action::reset_stream);
  EXPECT_EQ(cut.h2_error, 0x2U);  // INTERNAL_ERROR: the head is gone, the body is cut
  EXPECT_EQ(cut.code, core::error_codes::upstream_failed);

  EXPECT_EQ(report_failure({}, up, seconds, "GET", "/").action, Action::none);
}

// Only the framing fields reach the check, found by Beast's case-insensitive name: a length or
// coding in any case is still judged, and other fields never are.
TEST(ForwardDecisions, ResponseFramingFieldsAreJudgedInAnyCase) {
  http::fields lengths;
  lengths.insert("CONTENT-LENGTH", "5");
  lengths.insert("content-length", "6");
  EXPECT_TRUE(response_framing_problem(lengths, 11, false, std::nullopt).has_value());
  http::fields coding;
  coding.insert("Transfer-ENCODING", "chunked;x=1");
  EXPECT_TRUE(response_framing_problem(coding, 11, true, std::nullopt).has_value());
  http::fields plain;
  plain.insert("Content-length", "5");
  plain.insert("X-Content-Length", "oops");
  plain.insert("x-transfer-encoding", "gzip;bad");
  EXPECT_EQ(response_framing_problem(plain, 11, false, 5), std::nullopt);
}

}  // namespace
}  // namespace relay::agent
