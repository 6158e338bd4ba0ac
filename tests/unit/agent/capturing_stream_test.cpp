#include "agent/capturing_stream.hpp"

#include <exception>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace relay::agent {
namespace {

namespace asio = boost::asio;

// Runs a coroutine on a fresh io_context to completion (no sockets: a replay stream).
void run(asio::awaitable<void> op) {
  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e) { failure = std::move(e); });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

CapturingStream replay(std::string body) {
  return CapturingStream(RequestStream({{":method", "POST"}, {":path", "/hook"}}, std::move(body)));
}

TEST(CapturingStream, CopiesNothingUntilRecording) {
  auto stream = replay("payload");
  inspect::Capture capture;
  run([&]() -> asio::awaitable<void> {
    std::string chunk;
    EXPECT_FALSE(co_await stream.read(chunk));  // before the capture step: not recorded
    EXPECT_EQ(chunk, "payload");
    stream.record_into(capture, 64);
    EXPECT_FALSE(stream.respond(200, {{"content-type", "text/plain"}}, false));
    EXPECT_FALSE(co_await stream.write("ok", true));
  }());
  EXPECT_EQ(capture.request_body.size, 0U);
  EXPECT_EQ(capture.status, 200);
  EXPECT_EQ(capture.response_body.data, "ok");
}

TEST(CapturingStream, RecordsWhatPassesUpToTheLimitWithoutChangingIt) {
  auto stream = replay("0123456789");
  inspect::Capture capture;
  stream.record_into(capture, 4);
  run([&]() -> asio::awaitable<void> {
    std::string chunk;
    EXPECT_FALSE(co_await stream.read(chunk));
    EXPECT_EQ(chunk, "0123456789");  // delivery gets every byte
    EXPECT_FALSE(stream.respond(201, {{"x-app", "1"}}, false));
    EXPECT_FALSE(co_await stream.write("abcdef", true));
  }());
  EXPECT_EQ(capture.request_body.data, "0123");
  EXPECT_EQ(capture.request_body.size, 10U);
  EXPECT_TRUE(capture.request_body.truncated);
  EXPECT_EQ(capture.status, 201);
  EXPECT_EQ(capture.response_headers.get("x-app"), "1");
  EXPECT_EQ(capture.response_body.data, "abcd");
  EXPECT_EQ(capture.response_body.size, 6U);
}

TEST(CapturingStream, StopsCopyingOnceTheCaptureLeaves) {
  auto stream = replay("");
  inspect::Capture capture;
  stream.record_into(capture, 64);
  stream.stop_recording();
  run([&]() -> asio::awaitable<void> {
    EXPECT_FALSE(stream.respond(200, {}, false));
    EXPECT_FALSE(co_await stream.write("late", true));
  }());
  EXPECT_EQ(capture.status, 0);
  EXPECT_EQ(capture.response_body.size, 0U);
}

// The coroutine-free calls record what they take, as read() and write() do.
TEST(CapturingStream, TryReadAndTryWriteRecordAsReadAndWriteDo) {
  auto stream = replay("0123456789");
  inspect::Capture capture;
  stream.record_into(capture, 4);
  std::string chunk;
  const auto read = stream.try_read(chunk);  // a replay's body is always at hand
  ASSERT_TRUE(read.has_value());
  EXPECT_FALSE(*read);
  EXPECT_EQ(chunk, "0123456789");
  EXPECT_FALSE(stream.respond(200, {}, false));
  const auto written = stream.try_write("abcdef", true);
  ASSERT_TRUE(written.has_value());
  EXPECT_FALSE(*written);
  EXPECT_EQ(capture.request_body.data, "0123");
  EXPECT_EQ(capture.request_body.size, 10U);
  EXPECT_EQ(capture.response_body.data, "abcd");
  EXPECT_EQ(capture.response_body.size, 6U);
}

}  // namespace
}  // namespace relay::agent
