#include "edge/proxy_answer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

#include "relay/net/error.hpp"

namespace relay::edge {
namespace {

namespace http = boost::beast::http;
namespace codes = core::error_codes;

EdgeLimits limits() {
  EdgeLimits out;
  out.max_body_bytes = 1000;
  out.body_min_rate = 512;
  out.body_rate_grace = std::chrono::seconds(7);
  out.response_timeout = std::chrono::seconds(42);
  return out;
}

std::optional<core::ErrorPage> page_for(StreamFailure failure) {
  return failure_page(failure, limits(), "shop", "the agent for tunnel 'shop'");
}

TEST(ProxyAnswer, UploadErrorsAreTheCallersFaultOrItsDeparture) {
  EXPECT_EQ(classify_upload_error(http::error::body_limit, false), UploadError::too_large);
  // The limit wins over the rate guard: a too-large body is refused for its size.
  EXPECT_EQ(classify_upload_error(http::error::body_limit, true), UploadError::too_large);
  // The rate guard closes the socket, so the read error looks like a departure.
  EXPECT_EQ(classify_upload_error(boost::asio::error::operation_aborted, true),
            UploadError::too_slow);
  EXPECT_EQ(classify_upload_error(http::error::bad_chunk, false), UploadError::malformed);
  EXPECT_EQ(classify_upload_error(http::error::bad_chunk_extension, false), UploadError::malformed);
  EXPECT_EQ(classify_upload_error(http::error::partial_message, false), UploadError::caller_gone);
  EXPECT_EQ(classify_upload_error(boost::asio::error::connection_reset, false),
            UploadError::caller_gone);
}

TEST(ProxyAnswer, CallerFaultsAreReportedBeforeTheStreamError) {
  // The stream was reset because the upload failed: the caller learns what it did, not that
  // the agent abandoned a stream relay itself reset.
  auto too_large = page_for({UploadError::too_large, false, net::Errc::stream_reset});
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413);
  EXPECT_EQ(too_large->code, codes::body_too_large);
  EXPECT_NE(too_large->message.find("1000 bytes"), std::string::npos);

  auto too_slow = page_for({UploadError::too_slow, true, net::Errc::stream_reset});
  ASSERT_TRUE(too_slow);
  EXPECT_EQ(too_slow->status, 408);
  EXPECT_EQ(too_slow->code, codes::request_timeout);
  EXPECT_NE(too_slow->message.find("512 bytes/s after 7 s"), std::string::npos);
}

TEST(ProxyAnswer, TimeoutWinsOverMalformedBodyAndAgentErrors) {
  auto timeout = page_for({UploadError::malformed, true, net::Errc::stream_reset});
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->status, 504);
  EXPECT_EQ(timeout->code, codes::upstream_timeout);
  EXPECT_NE(timeout->message.find("'shop' did not answer within 42 s"), std::string::npos);

  auto malformed = page_for({UploadError::malformed, false, net::Errc::stream_reset});
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  EXPECT_EQ(malformed->code, codes::bad_request);
}

TEST(ProxyAnswer, CallerGoneGetsNoAnswer) {
  EXPECT_FALSE(page_for({UploadError::caller_gone, false, net::Errc::session_closed}));
}

TEST(ProxyAnswer, AgentErrorsSayWhetherARetryIsSafe) {
  auto refused = page_for({UploadError::none, false, net::Errc::refused});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);  // the agent never started on it: a retry is safe
  EXPECT_EQ(refused->code, codes::shutting_down);

  auto reset = page_for({UploadError::none, false, net::Errc::stream_reset});
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->status, 502);
  EXPECT_EQ(reset->code, codes::upstream_failed);

  auto lost = page_for({UploadError::none, false, net::Errc::session_closed});
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->status, 502);
  EXPECT_EQ(lost->code, codes::agent_session_lost);
  EXPECT_EQ(lost->message.rfind("the agent for tunnel 'shop' disconnected", 0), 0U);
}

TEST(ProxyAnswer, OpenFailureRefusedIsRetryableElseSessionLost) {
  auto refused = open_failure_page(net::Errc::refused, "shop", "x");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.code, codes::shutting_down);
  auto lost = open_failure_page(net::Errc::session_closed, "shop", "the agent for tunnel 'shop'");
  EXPECT_EQ(lost.status, 502);
  EXPECT_EQ(lost.code, codes::agent_session_lost);
  EXPECT_NE(lost.message.find("the agent for tunnel 'shop' is disconnected"), std::string::npos);
  EXPECT_EQ(busy_page("shop").status, 503);
  EXPECT_EQ(busy_page("shop").code, codes::tunnel_busy);
  EXPECT_EQ(response_cut_page("h").code, codes::agent_session_lost);
}

TEST(ProxyAnswer, HolderNamesThePeerEdgeWhenTheTunnelIsHeldElsewhere) {
  EXPECT_EQ(holder_description("", "shop"), "the agent for tunnel 'shop'");
  EXPECT_EQ(holder_description("edge-b", "shop"),
            "the edge 'edge-b' holding tunnel 'shop' (over the cluster's peer link)");
}

TEST(ProxyAnswer, OnlyKnownAgentErrorCodesReachTheLog) {
  EXPECT_EQ(known_agent_error(codes::upstream_refused), codes::upstream_refused);
  EXPECT_EQ(known_agent_error(codes::signature_invalid), codes::signature_invalid);
  // An app can send any relay-error-code: the edge does not log what it did not define.
  EXPECT_EQ(known_agent_error("RELAY_WHATEVER"), "");
  EXPECT_EQ(known_agent_error(codes::tunnel_not_found), "");
  EXPECT_EQ(known_agent_error(""), "");
}

TEST(ProxyAnswer, UploadBufferIsSizedToTheBodyUpToOneChunk) {
  EXPECT_EQ(upload_buffer_size(std::nullopt), kUploadChunk);  // chunked: unknown length
  EXPECT_EQ(upload_buffer_size(1500), 1500U);
  EXPECT_EQ(upload_buffer_size(0), 1U);  // never a zero-sized buffer Beast could not read into
  EXPECT_EQ(upload_buffer_size(std::uint64_t{10} << 30), kUploadChunk);
}

}  // namespace
}  // namespace relay::edge
