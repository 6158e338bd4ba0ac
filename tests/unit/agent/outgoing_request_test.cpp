// OutgoingRequest: the bytes of one gathered write, and which buffers it keeps.
#include "agent/outgoing_request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::agent {
namespace {

// A chunk handed over whole: its buffer goes into the write and the reader gets the spare.
TEST(OutgoingRequest, TakesALargeChunksBuffer) {
  OutgoingRequest out;
  std::string chunk(8000, 'a');
  const auto* bytes = chunk.data();
  out.add_body(chunk, BodyFraming::content_length);
  EXPECT_TRUE(chunk.empty());
  ASSERT_EQ(out.buffers().size(), 1u);
  EXPECT_EQ(out.buffers()[0].data(), bytes);  // not copied
  EXPECT_EQ(out.bytes(), 8000u);
}

// A few bytes in a large buffer (a DATA frame's tail cut off by a TLS record) are copied: the
// buffer stays with the reader instead of waiting, nearly empty, for the write.
TEST(OutgoingRequest, CopiesAFewBytesAndLeavesTheBufferWithTheReader) {
  OutgoingRequest out;
  std::string first(8000, 'a');
  out.add_body(first, BodyFraming::content_length);
  std::string chunk;
  chunk.reserve(64 * 1024 - 1);
  chunk = "tail";
  const auto capacity = chunk.capacity();
  out.add_body(chunk, BodyFraming::content_length);
  EXPECT_TRUE(chunk.empty());
  EXPECT_EQ(chunk.capacity(), capacity);
  EXPECT_EQ(out.flatten(), std::string(8000, 'a') + "tail");
  EXPECT_EQ(out.bytes(), 8004u);
}

TEST(OutgoingRequest, ACopiedChunkIsFramedWhenChunked) {
  OutgoingRequest out;
  std::string chunk;
  chunk.reserve(64 * 1024 - 1);
  chunk = "hello";
  out.add_body(chunk, BodyFraming::chunked);
  std::string big(5000, 'b');
  out.add_body(big, BodyFraming::chunked);
  out.add_end(BodyFraming::chunked);
  EXPECT_EQ(out.flatten(), "5\r\nhello\r\n1388\r\n" + std::string(5000, 'b') + "\r\n0\r\n\r\n");
  EXPECT_EQ(out.bytes(), out.flatten().size());
}

// After the write, one large buffer is kept for the next read; the pieces are gone.
TEST(OutgoingRequest, KeepsOneSpareAfterClear) {
  OutgoingRequest out;
  std::string a(8000, 'a');
  std::string b(9000, 'b');
  out.add_body(a, BodyFraming::content_length);
  out.add_body(b, BodyFraming::content_length);
  EXPECT_EQ(b.capacity(), std::string().capacity());  // no spare yet
  out.clear();
  EXPECT_TRUE(out.empty());
  std::string c(8000, 'c');
  out.add_body(c, BodyFraming::content_length);
  EXPECT_GE(c.capacity(), 4096u);  // the spare kept by clear()
}

}  // namespace
}  // namespace relay::agent
