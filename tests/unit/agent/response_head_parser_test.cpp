#include "agent/response_head_parser.hpp"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "agent/forward_decisions.hpp"

namespace relay::agent {
namespace {

namespace http = boost::beast::http;

struct Parsed {
  unsigned status = 0;
  unsigned version = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  std::optional<std::string> framing_problem;
  std::string body;
  bool keep_alive = false;
  bool done = false;
  bool strict = false;  // parse_strict_response_head read the head
};

// `text` parsed as the exchange parses a response: the head in one put, then the body into a
// lent buffer of `room` bytes, a fresh one each time it is full (need_buffer).
Parsed parse(std::string_view text, std::size_t room, bool skip_body = false) {
  ResponseHeadParser parser;
  if (skip_body) parser.skip_body();
  Parsed out;
  core::error_code ec;
  text.remove_prefix(parser.put(boost::asio::buffer(text.data(), text.size()), ec));
  EXPECT_FALSE(ec) << ec.message();
  if (ec || !parser.is_header_done()) return out;
  out.status = parser.status();
  out.version = parser.version();
  for (const auto& f : parser.fields()) out.fields.emplace_back(f.name, f.value);
  out.framing_problem = response_framing_problem(parser.framing(), parser.version(),
                                                 parser.chunked(), parser.content_length());
  out.keep_alive = parser.keep_alive();
  out.strict = parser.head_read_strictly();
  std::string buffer(room, '\0');
  for (int step = 0; step < 1000 && !parser.is_done() && !text.empty(); ++step) {
    parser.lend_body_buffer(buffer.data(), room);
    ec = {};
    text.remove_prefix(parser.put(boost::asio::buffer(text.data(), text.size()), ec));
    if (ec == http::error::need_buffer) ec = {};
    EXPECT_FALSE(ec) << ec.message();
    if (ec) break;
    out.body.append(buffer.data(), room - parser.body_room());
  }
  out.done = parser.is_done();
  return out;
}

TEST(ResponseHeadParser, KeepsTheStatusAndEveryFieldAsItCame) {
  const auto r = parse(
      "HTTP/1.1 200 OK\r\nServer: nginx\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n"
      "Content-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n",
      64);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.version, 11u);
  EXPECT_EQ(r.fields,
            (std::vector<std::pair<std::string, std::string>>{{"Server", "nginx"},
                                                              {"Set-Cookie", "a=1"},
                                                              {"set-cookie", "b=2"},
                                                              {"Content-Length", "3"},
                                                              {"Connection", "keep-alive"}}));
  EXPECT_EQ(r.framing_problem, std::nullopt);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_TRUE(r.done);
  EXPECT_TRUE(r.strict);  // the common shape does not go through Beast
}

// As http::buffer_body: a body larger than the lent buffer comes in buffers, chunked or not.
TEST(ResponseHeadParser, FillsTheLentBufferThenAsksForAnother) {
  const auto chunked = parse(
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      3);
  EXPECT_EQ(chunked.status, 201u);
  EXPECT_EQ(chunked.framing_problem, std::nullopt);
  EXPECT_EQ(chunked.body, "hello world");
  EXPECT_TRUE(chunked.done);
  const auto sized = parse("HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 4);
  EXPECT_EQ(sized.version, 10u);
  EXPECT_FALSE(sized.keep_alive);
  EXPECT_EQ(sized.body, "0123456789");
  EXPECT_TRUE(sized.done);
}

// The strict path's end of a message is Beast's: no body after a HEAD, a 204 or a 304 whatever
// their fields say, and a head without a length (a body to the connection's end) is Beast's.
TEST(ResponseHeadParser, EndsTheMessageWhereBeastWould) {
  const auto head = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 8, true);
  EXPECT_TRUE(head.strict);
  EXPECT_TRUE(head.done);
  EXPECT_TRUE(head.keep_alive);
  const auto no_content = parse("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello", 8);
  EXPECT_TRUE(no_content.strict);
  EXPECT_TRUE(no_content.done);
  EXPECT_EQ(no_content.body, "");
  const auto to_close = parse("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nhello", 8);
  EXPECT_FALSE(to_close.strict);
  EXPECT_FALSE(to_close.keep_alive);
  EXPECT_EQ(to_close.body, "hello");
  EXPECT_FALSE(to_close.done);  // until the connection ends
  const auto old =
      parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", 8);
  EXPECT_TRUE(old.strict);
  EXPECT_TRUE(old.keep_alive);
  EXPECT_TRUE(
      parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", 8).strict);
  EXPECT_FALSE(
      parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", 8).keep_alive);
}

// A connection that ends before the body's last byte is a cut message, on either path.
TEST(ResponseHeadParser, CallsABodyCutShortAPartialMessage) {
  for (const bool split : {false, true}) {
    const std::string_view text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel";
    ResponseHeadParser parser;
    std::array<char, 8> lent{};
    parser.lend_body_buffer(lent.data(), lent.size());
    core::error_code ec;
    // A head in two reads is Beast's.
    const std::size_t first = split ? 10 : text.size();
    std::string arrived(text.substr(0, first));
    arrived.erase(0, parser.put(boost::asio::buffer(arrived), ec));
    arrived += text.substr(first);
    for (int step = 0; step < 4 && !arrived.empty(); ++step) {
      ec = {};
      arrived.erase(0, parser.put(boost::asio::buffer(arrived), ec));
    }
    EXPECT_EQ(parser.head_read_strictly(), !split);
    EXPECT_EQ(std::string_view(lent.data(), lent.size() - parser.body_room()), "hel");
    EXPECT_FALSE(parser.is_done());
    ec = {};
    parser.put_eof(ec);
    EXPECT_EQ(ec, http::error::partial_message) << split;
  }
}

// The framing fields reach the smuggling check as they are parsed (any case).
TEST(ResponseHeadParser, FeedsTheFramingCheck) {
  EXPECT_NE(parse("HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: gzip\r\n\r\n", 16).framing_problem,
            std::nullopt);
  EXPECT_NE(
      parse("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 16).framing_problem,
      std::nullopt);
}

// An app that writes its chunked response a byte at a time, trailers included: the body comes
// whole and the trailers are not taken for fields of the head. In a build with assertions this
// also passes Beast 1.81's wrong `n >= 5` assertion about the final chunk
// (src/boost_assert_handler.cpp).
void expect_whole_when_trickled(std::string_view chunks, std::string_view expected_body) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(chunks);
  ResponseHeadParser parser;
  std::string arrived;  // what the connection's buffer holds
  std::string body;
  std::array<char, 4> lent{};
  for (const char c : text) {
    arrived += c;
    for (int step = 0; step < 8 && !parser.is_done(); ++step) {
      parser.lend_body_buffer(lent.data(), lent.size());
      core::error_code ec;
      const auto used = parser.put(boost::asio::buffer(arrived.data(), arrived.size()), ec);
      body.append(lent.data(), lent.size() - parser.body_room());
      arrived.erase(0, used);
      if (ec == http::error::need_more || (!ec && used == 0)) break;
      if (ec != http::error::need_buffer) ASSERT_FALSE(ec) << ec.message();
    }
  }
  EXPECT_TRUE(parser.is_done()) << chunks;
  EXPECT_TRUE(arrived.empty()) << chunks;
  EXPECT_EQ(body, expected_body);
  EXPECT_EQ(parser.status(), 200u);
  EXPECT_EQ(parser.fields().size(), 1u) << chunks;  // Transfer-Encoding only, not X-Checksum
}

TEST(ResponseHeadParser, TakesAChunkedBodyAndItsTrailersAByteAtATime) {
  expect_whole_when_trickled("5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n", "hello");
  expect_whole_when_trickled("0\r\nX-Checksum: abc\r\n\r\n", "");  // the 4-byte case
}

}  // namespace
}  // namespace relay::agent
