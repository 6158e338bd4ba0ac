#include "agent/strict_response_head.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace relay::agent {
namespace {

using namespace std::string_literals;

constexpr std::size_t kLimit = 64 * 1024;

std::optional<StrictResponseHead> parse(std::string_view text) {
  std::vector<FieldView> fields;
  net::Http1FramingCheck framing;
  return parse_strict_response_head(text, kLimit, fields, framing);
}

TEST(StrictResponseHead, ReadsTheCommonShapeWithItsFieldsAsViews) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 07 Dec 2026 20:00:00 GMT\r\n"
      "Content-Type: text/plain; charset=utf-8\r\nContent-Length:  12 \r\n"
      "X-Empty:\r\nX-Tab:\tv\t\r\nX-Obs: caf\xc3\xa9\r\nConnection: Keep-Alive\r\n\r\nhello "
      "world\n";
  std::vector<FieldView> fields;
  net::Http1FramingCheck framing;
  const auto head = parse_strict_response_head(text, kLimit, fields, framing);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200u);
  EXPECT_EQ(head->version, 11u);
  EXPECT_EQ(head->size, text.find("hello"));
  EXPECT_EQ(head->content_length, 12u);
  EXPECT_TRUE(head->connection_keep_alive);
  EXPECT_FALSE(head->connection_close);
  ASSERT_EQ(fields.size(), 8u);
  EXPECT_EQ(fields[0].name, "Server");
  EXPECT_EQ(fields[0].value, "nginx/1.22.1");
  EXPECT_EQ(fields[3].value, "12");  // without the blanks around it
  EXPECT_EQ(fields[4].value, "");
  EXPECT_EQ(fields[5].value, "v");
  EXPECT_EQ(fields[6].value, "caf\xc3\xa9");
  EXPECT_EQ(fields[2].value.data(), text.data() + text.find("text/plain"));  // a view, no copy
  EXPECT_EQ(framing.result(false, 11).body, net::Http1Body::content_length);
  EXPECT_EQ(framing.result(false, 11).content_length, 12u);
}

TEST(StrictResponseHead, ReadsHttp10AndTheStatusesAroundTheBodylessOnes) {
  const auto old = parse("HTTP/1.0 404 \r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->version, 10u);
  EXPECT_EQ(old->status, 404u);
  EXPECT_TRUE(old->connection_close);
  EXPECT_EQ(old->content_length, std::nullopt);
  EXPECT_TRUE(parse("HTTP/1.1 204 No Content\r\n\r\n"));
  EXPECT_TRUE(parse("HTTP/1.1 599 x\r\n\r\n"));
}

// Everything else is Beast's to parse: whatever Beast reads differently from a plain reading, or
// rejects, or reads as a list or a number of its own.
TEST(StrictResponseHead, LeavesEveryOtherShapeToBeast) {
  const std::vector<std::string> others = {
      "",                                                        // nothing yet
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",                // no end of the head yet
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r",              // nor here
      "HTTP/1.1 200 OK\r\nA: b\r\n",                             // nor here
      "HTTP/1.1 100 Continue\r\n\r\n",                           // interim
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",  // interim, upgrade
      "HTTP/1.1 600 Odd\r\n\r\n",                                // outside 200-599
      "HTTP/1.1 199 Odd\r\n\r\n",                                //
      "HTTP/2.0 200 OK\r\n\r\n",                                 // another version
      "HTTP/1.1 200\r\n\r\n",                                    // no space after the status
      "HTTP/1.1 20x OK\r\n\r\n",                                 // not a number
      "HTTP/1.1 200 OK\n\r\n",                                   // a bare LF
      "HTTP/1.1 200 OK\r\nA: b\n\r\n",                           //
      "HTTP/1.1 200 OK\r\nA: b\r\n\n",                           //
      "HTTP/1.1 200 OK\r\nA: b\r\n\rx",                          // CR without LF
      "HTTP/1.1 200 O\x01K\r\n\r\n",                             // a control character
      "HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n",                     // DEL
      "HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n"s,                     // NUL
      "HTTP/1.1 200 OK\r\nA : b\r\n\r\n",                        // a space before the colon
      "HTTP/1.1 200 OK\r\n: b\r\n\r\n",                          // no name
      "HTTP/1.1 200 OK\r\nA(b): c\r\n\r\n",                      // not a token
      "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",                   // a folded line
      "HTTP/1.1 200 OK\r\nA: b\r\n\tc\r\n\r\n",                  //
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",   // framing Beast reads
      "HTTP/1.1 200 OK\r\nUpgrade: websocket\r\n\r\n",           //
      "HTTP/1.1 200 OK\r\nProxy-Connection: close\r\n\r\n",      //
      "HTTP/1.1 200 OK\r\nConnection: keep-alive, x\r\n\r\n",    // a list
      "HTTP/1.1 200 OK\r\nConnection: upgrade\r\n\r\n",          //
      "HTTP/1.1 200 OK\r\nConnection:\r\n\r\n",                  //
      "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\n",         // a list
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\n",  // repeated
      "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n",                      // not digits
      "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",                        //
      "HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n",     // 19 digits
  };
  for (const auto& text : others) EXPECT_FALSE(parse(text)) << text;
}

TEST(StrictResponseHead, LeavesAHeadOverTheLimitToBeast) {
  const std::string text = "HTTP/1.1 200 OK\r\nA: " + std::string(100, 'a') + "\r\n\r\n";
  std::vector<FieldView> fields;
  net::Http1FramingCheck framing;
  EXPECT_TRUE(parse_strict_response_head(text, text.size(), fields, framing));
  fields.clear();
  EXPECT_FALSE(parse_strict_response_head(text, text.size() - 1, fields, framing));
}

// Values of every length around the eight-byte steps, with a tab or a bad byte anywhere.
TEST(StrictResponseHead, FindsTheEndOfEveryValueWhereverItFalls) {
  for (std::size_t n = 0; n < 40; ++n) {
    for (std::size_t at = 0; at <= n; ++at) {
      std::string value(n, 'v');
      if (at < n) value[at] = '\t';
      const std::string text = "HTTP/1.1 200 OK\r\nA: x" + value + "y\r\n\r\n";
      std::vector<FieldView> fields;
      net::Http1FramingCheck framing;
      ASSERT_TRUE(parse_strict_response_head(text, kLimit, fields, framing)) << n << " " << at;
      ASSERT_EQ(fields.size(), 1u);
      EXPECT_EQ(fields[0].value, "x" + value + "y");
      if (at < n) {
        value[at] = '\x1f';
        EXPECT_FALSE(parse("HTTP/1.1 200 OK\r\nA: x" + value + "y\r\n\r\n")) << n << " " << at;
        value[at] = '\x7f';
        EXPECT_FALSE(parse("HTTP/1.1 200 OK\r\nA: x" + value + "y\r\n\r\n")) << n << " " << at;
      }
    }
  }
}

}  // namespace
}  // namespace relay::agent
