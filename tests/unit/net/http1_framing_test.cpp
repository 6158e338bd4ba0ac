#include "relay/net/http1_framing.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <utility>
#include <vector>

namespace relay::net {
namespace {

using Fields = std::vector<std::pair<std::string_view, std::string_view>>;

Http1Framing check(const Fields& fields, bool is_request = true, unsigned version = 11) {
  Http1FramingCheck c;
  for (const auto& [name, value] : fields) c.add(name, value);
  return c.result(is_request, version);
}

TEST(Http1Framing, NoFieldsMeansNoRequestBodyAndAResponseUntilClose) {
  EXPECT_EQ(check({}).body, Http1Body::none);
  EXPECT_EQ(check({}, false).body, Http1Body::until_close);
  EXPECT_TRUE(check({{"X-Other", "chunked"}}).ok());
}

TEST(Http1Framing, ChunkedIsTheOnlyAcceptedCoding) {
  auto f = check({{"Transfer-Encoding", "chunked"}});
  EXPECT_TRUE(f.ok());
  EXPECT_EQ(f.body, Http1Body::chunked);
  EXPECT_TRUE(check({{"transfer-encoding", " CHUNKED "}}).ok());
  EXPECT_TRUE(check({{"Transfer-Encoding", ", chunked,"}}).ok());  // empty list elements
}

TEST(Http1Framing, FinalCodingNotChunkedIs400) {
  for (std::string_view te : {"chunked, gzip", "xchunked", "gzip", "chunked-false", "identity"}) {
    auto f = check({{"Transfer-Encoding", te}});
    EXPECT_EQ(f.error, Http1FramingError::te_not_chunked) << te;
    EXPECT_EQ(f.request_status(), 400) << te;
    EXPECT_FALSE(f.reason().empty());
  }
  // The same split over two fields: one list.
  EXPECT_EQ(check({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "gzip"}}).error,
            Http1FramingError::te_not_chunked);
}

TEST(Http1Framing, AnotherCodingBeforeChunkedIs501) {
  for (std::string_view te : {"gzip, chunked", "x-custom,chunked"}) {
    auto f = check({{"Transfer-Encoding", te}});
    EXPECT_EQ(f.error, Http1FramingError::te_unsupported) << te;
    EXPECT_EQ(f.request_status(), 501) << te;
  }
  EXPECT_EQ(check({{"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}}).error,
            Http1FramingError::te_unsupported);
}

TEST(Http1Framing, MalformedCodingsAre400) {
  EXPECT_EQ(check({{"Transfer-Encoding", ""}}).error, Http1FramingError::te_invalid);
  EXPECT_EQ(check({{"Transfer-Encoding", " , "}}).error, Http1FramingError::te_invalid);
  EXPECT_EQ(check({{"Transfer-Encoding", "chunked;x=1"}}).error, Http1FramingError::te_invalid);
  EXPECT_EQ(check({{"Transfer-Encoding", "chun ked"}}).error, Http1FramingError::te_invalid);
  EXPECT_EQ(check({{"Transfer-Encoding", "chunked, chunked"}}).error,
            Http1FramingError::te_chunked_twice);
  EXPECT_EQ(check({{"Transfer-Encoding", "chunked"}}, true, 10).error,
            Http1FramingError::te_in_http10);
}

TEST(Http1Framing, TransferEncodingWithContentLengthIsRefused) {
  auto f = check({{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}});
  EXPECT_EQ(f.error, Http1FramingError::te_with_length);
  EXPECT_EQ(f.request_status(), 400);
  EXPECT_EQ(check({{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}, false).error,
            Http1FramingError::te_with_length);
}

TEST(Http1Framing, RepeatedIdenticalContentLengthIsOne) {
  for (const auto& fields : {Fields{{"Content-Length", "5"}}, Fields{{"Content-Length", "5, 5"}},
                             Fields{{"Content-Length", "5"}, {"content-length", "5"}}}) {
    auto f = check(fields);
    EXPECT_TRUE(f.ok());
    EXPECT_EQ(f.body, Http1Body::content_length);
    EXPECT_EQ(f.content_length, 5u);
  }
}

TEST(Http1Framing, DifferingOrInvalidContentLengthIs400) {
  EXPECT_EQ(check({{"Content-Length", "5, 6"}}).error, Http1FramingError::length_mismatch);
  EXPECT_EQ(check({{"Content-Length", "5"}, {"Content-Length", "6"}}).error,
            Http1FramingError::length_mismatch);
  for (std::string_view v : {"", "-1", "+5", "5 5", "0x5", "5,", "99999999999999999999999"}) {
    auto f = check({{"Content-Length", v}});
    EXPECT_EQ(f.error, Http1FramingError::length_invalid) << v;
    EXPECT_EQ(f.request_status(), 400);
  }
}

}  // namespace
}  // namespace relay::net
