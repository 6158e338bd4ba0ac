#include "edge/response_head.hpp"

#include <gtest/gtest.h>

namespace relay::edge {
namespace {

core::Headers response(std::initializer_list<core::Headers::Field> fields) {
  return core::Headers(fields);
}

TEST(ResponseHead, ContentLengthIsKept) {
  auto h = response({{":status", "200"}, {"content-type", "text/plain"}, {"content-length", "5"}});
  auto plan = plan_response(200, h, false, 11, true);
  EXPECT_EQ(plan.framing, Framing::content_length);
  EXPECT_EQ(render_response_head(200, h, plan, 11),
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\n");
}

TEST(ResponseHead, ChunkedWithoutLengthOnHttp11CloseDelimitedOnHttp10) {
  auto h =
      response({{":status", "200"}, {"transfer-encoding", "chunked"}, {"connection", "close"}});
  auto plan = plan_response(200, h, false, 11, true);
  EXPECT_EQ(plan.framing, Framing::chunked);
  EXPECT_TRUE(plan.keep_alive);
  EXPECT_EQ(render_response_head(200, h, plan, 11),
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
  auto old = plan_response(200, h, false, 10, true);
  EXPECT_EQ(old.framing, Framing::close_delimited);
  EXPECT_FALSE(old.keep_alive);
  EXPECT_EQ(render_response_head(200, h, old, 10), "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n");
}

TEST(ResponseHead, NoBodyForHead204And304) {
  auto h = response({{":status", "200"}, {"content-length", "100"}});
  EXPECT_EQ(plan_response(200, h, true, 11, true).framing, Framing::none);
  EXPECT_EQ(plan_response(204, response({}), false, 11, true).framing, Framing::none);
  EXPECT_EQ(plan_response(304, response({}), false, 11, true).framing, Framing::none);
  // HEAD keeps the app's Content-Length: it describes the GET body.
  EXPECT_EQ(render_response_head(200, h, plan_response(200, h, true, 11, true), 11),
            "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n");
}

TEST(ResponseHead, KeepAliveForHttp10AndCloseWhenAsked) {
  auto h = response({{"content-length", "0"}});
  EXPECT_EQ(render_response_head(200, h, plan_response(200, h, false, 10, true), 10),
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n");
  EXPECT_EQ(render_response_head(200, h, plan_response(200, h, false, 11, false), 11),
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
}

TEST(ResponseHead, FieldsReadInOneWalk) {
  const auto h = response({{":status", "200"},
                           {"Content-Length", "12"},
                           {"relay-error-code", "upstream_timeout"},
                           {"content-length", "13"},
                           {"relay-error-code", "other"}});
  const auto fields = read_response_fields(h);  // views of h's values
  EXPECT_TRUE(fields.has_content_length);
  EXPECT_EQ(fields.content_length, 12u);
  EXPECT_EQ(fields.error_code, "upstream_timeout");
  auto odd = read_response_fields(response({{"content-length", "12, 12"}}));
  EXPECT_TRUE(odd.has_content_length);  // framed by length, but no number to check it against
  EXPECT_FALSE(odd.content_length);
  EXPECT_FALSE(odd.error_code);
  EXPECT_FALSE(read_response_fields(response({})).has_content_length);
}

TEST(ResponseHead, UnknownStatusAndEmptyValues) {
  auto h = response({{":status", "299"}, {"x-empty", ""}, {"keep-alive", "5"}, {"", "x"}});
  EXPECT_EQ(render_response_head(299, h, plan_response(299, h, true, 11, true), 11),
            "HTTP/1.1 299 Unknown\r\nx-empty: \r\n\r\n");
}

TEST(ResponseHead, Chunks) {
  std::string out;
  append_chunk(out, "hello world, this is 31 bytes!!");
  append_chunk(out, "");
  EXPECT_EQ(out, "1f\r\nhello world, this is 31 bytes!!\r\n");
}

TEST(ErrorResponse, CarriesTheRelayErrorCode) {
  auto text = render_error_response({404, core::error_codes::tunnel_not_found, "no tunnel"},
                                    "application/json", true, false);
  EXPECT_EQ(text.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
  EXPECT_NE(text.find("relay-error-code: RELAY_TUNNEL_NOT_FOUND\r\n"), std::string::npos);
  EXPECT_NE(text.find("content-type: application/json"), std::string::npos);
  EXPECT_EQ(text.find("connection: close"), std::string::npos);
  auto body = text.substr(text.find("\r\n\r\n") + 4);
  EXPECT_NE(text.find("content-length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos);
  auto closing = render_error_response({502, core::error_codes::agent_session_lost, "gone"},
                                       "text/html", false, true);
  EXPECT_NE(closing.find("connection: close\r\n"), std::string::npos);
  EXPECT_EQ(closing.substr(closing.find("\r\n\r\n") + 4), "");  // HEAD: no body
}

}  // namespace
}  // namespace relay::edge

namespace relay::edge {
namespace {

TEST(ResponseHead, AppendBodyFramesChunkedAndEndsItOnTheEmptyPiece) {
  std::string out = "HEAD";
  append_body(out, "hello", Framing::chunked);
  append_body(out, "", Framing::chunked);
  EXPECT_EQ(out, "HEAD5\r\nhello\r\n0\r\n\r\n");
}

TEST(ResponseHead, AppendBodyPassesOtherFramingsThrough) {
  for (auto framing : {Framing::content_length, Framing::close_delimited}) {
    std::string out;
    append_body(out, "abc", framing);
    append_body(out, "", framing);  // the end needs no marker: the length or the close says it
    EXPECT_EQ(out, "abc");
  }
}

}  // namespace
}  // namespace relay::edge
