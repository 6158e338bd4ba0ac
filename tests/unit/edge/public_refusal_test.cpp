#include "edge/public_refusal.hpp"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

namespace relay::edge {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace codes = core::error_codes;
using State = SessionRegistry::State;

EdgeLimits limits() {
  EdgeLimits out;
  out.max_header_bytes = 8192;
  out.max_body_bytes = 1000;
  out.max_requests_per_ip = 7;
  return out;
}

RefusalAnswer answer_for(PublicRefusal why) {
  const auto l = limits();
  return refusal_answer(why, {.limits = l,
                              .resume_grace = std::chrono::seconds(45),
                              .domain = "relay.test",
                              .host = "nope.example",
                              .tunnel = "shop",
                              .detail = "bad method"});
}

bool mentions(const RefusalAnswer& answer, std::string_view text) {
  return answer.page.message.find(text) != std::string::npos;
}

TEST(PublicRefusal, AConnectionThatEndedGetsNoAnswer) {
  const std::vector<boost::system::error_code> ended = {
      http::error::end_of_stream,        asio::error::eof,
      asio::error::connection_reset,     asio::error::operation_aborted,
      asio::error::bad_descriptor,       boost::beast::error::timeout,
      asio::ssl::error::stream_truncated};
  for (const auto& ec : ended) {
    EXPECT_FALSE(head_read_refusal(ec)) << ec.message();
  }
}

TEST(PublicRefusal, HeadReadErrorsAreRefusedWithTheirLimit) {
  EXPECT_EQ(head_read_refusal(http::error::header_limit), PublicRefusal::head_too_large);
  EXPECT_EQ(head_read_refusal(http::error::body_limit), PublicRefusal::body_too_large);
  EXPECT_EQ(head_read_refusal(http::error::bad_method), PublicRefusal::not_http);
  EXPECT_EQ(head_read_refusal(http::error::bad_version), PublicRefusal::not_http);

  auto head = answer_for(PublicRefusal::head_too_large);
  EXPECT_EQ(head.page.status, 431);
  EXPECT_EQ(head.page.code, codes::headers_too_large);
  EXPECT_TRUE(mentions(head, "(8192 bytes)"));
  auto body = answer_for(PublicRefusal::body_too_large);
  EXPECT_EQ(body.page.status, 413);
  EXPECT_TRUE(mentions(body, "(1000 bytes)"));
  auto garbage = answer_for(PublicRefusal::not_http);
  EXPECT_EQ(garbage.page.status, 400);
  EXPECT_TRUE(mentions(garbage, "not valid HTTP/1.1 (bad method)"));
}

TEST(PublicRefusal, AnUnreadableHeadClosesTheConnectionARoutedRefusalMayKeepIt) {
  // After a head that does not parse, where the next request starts is unknown.
  for (auto why : {PublicRefusal::head_too_large, PublicRefusal::body_too_large,
                   PublicRefusal::not_http, PublicRefusal::no_host}) {
    EXPECT_FALSE(answer_for(why).keeps_connection) << static_cast<int>(why);
  }
  for (auto why :
       {PublicRefusal::unknown_host, PublicRefusal::ip_denied, PublicRefusal::peer_unreachable,
        PublicRefusal::queue_unavailable, PublicRefusal::tunnel_offline,
        PublicRefusal::agent_disconnected, PublicRefusal::too_many_requests}) {
    EXPECT_TRUE(answer_for(why).keeps_connection) << static_cast<int>(why);
  }
}

TEST(PublicRefusal, OnlyTheRetryableRefusalsSayWhenToComeBack) {
  EXPECT_EQ(answer_for(PublicRefusal::too_many_requests).retry_after, 1);
  EXPECT_EQ(answer_for(PublicRefusal::queue_unavailable).retry_after, 30);
  EXPECT_EQ(answer_for(PublicRefusal::tunnel_offline).retry_after, 0);
  EXPECT_EQ(answer_for(PublicRefusal::ip_denied).retry_after, 0);
}

TEST(PublicRefusal, RoutingRefusalsNameWhatTheCallerAskedFor) {
  auto no_host = answer_for(PublicRefusal::no_host);
  EXPECT_EQ(no_host.page.status, 400);
  EXPECT_TRUE(mentions(no_host, "(NAME.relay.test)"));
  auto unknown = answer_for(PublicRefusal::unknown_host);
  EXPECT_EQ(unknown.page.status, 404);
  EXPECT_EQ(unknown.page.code, codes::tunnel_not_found);
  EXPECT_TRUE(mentions(unknown, "'nope.example'"));
  auto offline = answer_for(PublicRefusal::tunnel_offline);
  EXPECT_EQ(offline.page.status, 404);
  EXPECT_TRUE(mentions(offline, "--url shop"));
  auto denied = answer_for(PublicRefusal::ip_denied);
  EXPECT_EQ(denied.page.status, 403);
  EXPECT_EQ(denied.page.code, codes::ip_denied);
  auto away = answer_for(PublicRefusal::agent_disconnected);
  EXPECT_EQ(away.page.status, 502);
  EXPECT_TRUE(mentions(away, "within 45 s"));
  auto peer = answer_for(PublicRefusal::peer_unreachable);
  EXPECT_EQ(peer.page.status, 502);
  EXPECT_EQ(peer.page.code, codes::agent_session_lost);
  auto queue = answer_for(PublicRefusal::queue_unavailable);
  EXPECT_EQ(queue.page.status, 503);
  EXPECT_EQ(queue.page.code, codes::queue_unavailable);
  auto busy = answer_for(PublicRefusal::too_many_requests);
  EXPECT_EQ(busy.page.status, 429);
  EXPECT_TRUE(mentions(busy, "has 7 requests in flight"));
}

TEST(PublicRefusal, HeadLimitFitsBeastsThirtyTwoBits) {
  EdgeLimits l;
  l.max_header_bytes = 4096;
  EXPECT_EQ(head_limit_bytes(l), 4096U);
  l.max_header_bytes = std::size_t{1} << 40;  // a huge configured limit must not wrap to small
  EXPECT_EQ(head_limit_bytes(l), UINT32_MAX);
}

TEST(PublicRefusal, ABufferPolicyTakesTheRequestWhetherOrNotItsAgentIsHere) {
  EXPECT_EQ(choose_destination(true, true, State::live), Destination::buffer);
  EXPECT_EQ(choose_destination(true, false, State::not_found), Destination::buffer);
  EXPECT_EQ(choose_destination(true, false, State::lost), Destination::buffer);
}

TEST(PublicRefusal, WithoutAPolicyOnlyASessionServes) {
  EXPECT_EQ(choose_destination(false, true, State::live), Destination::proxy);
  // cluster: a peer edge's link is a target although this edge's registry has no session.
  EXPECT_EQ(choose_destination(false, true, State::not_found), Destination::proxy);
  EXPECT_EQ(choose_destination(false, false, State::not_found), Destination::tunnel_offline);
  // A lost session within its resume grace: 502 (it keeps its URL), not 404.
  EXPECT_EQ(choose_destination(false, false, State::lost), Destination::agent_disconnected);
}

}  // namespace
}  // namespace relay::edge
