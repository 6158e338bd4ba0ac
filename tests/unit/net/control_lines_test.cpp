#include "relay/net/control_lines.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relay::net::protocol {
namespace {

std::vector<std::string> drain(ControlLines& lines) {
  std::vector<std::string> out;
  while (auto line = lines.next()) out.emplace_back(*line);
  return out;
}

TEST(ControlLines, JoinsLinesSplitAcrossChunksAndSkipsEmptyOnes) {
  ControlLines lines(64);
  lines.feed("{\"a\":1}\n{\"b\"");
  EXPECT_EQ(drain(lines), std::vector<std::string>{"{\"a\":1}"});
  lines.feed(":2}\r\n\n\r\n{\"c\":3}");
  EXPECT_EQ(drain(lines), std::vector<std::string>{"{\"b\":2}"});
  lines.feed("\n");
  EXPECT_EQ(drain(lines), std::vector<std::string>{"{\"c\":3}"});
  EXPECT_FALSE(lines.overflowed());
}

// A peer that never ends its line is cut off at the bound, not buffered without end.
TEST(ControlLines, AnUnfinishedLineOverTheBoundOverflows) {
  ControlLines lines(16);
  lines.feed(std::string(16, 'x'));
  EXPECT_FALSE(lines.next());
  EXPECT_FALSE(lines.overflowed());
  lines.feed("x");
  EXPECT_FALSE(lines.next());
  EXPECT_TRUE(lines.overflowed());
}

// Whole lines longer than the bound still pass when they arrive in one chunk: the bound is on
// what waits for its end (each side's parser bounds what a message may hold).
TEST(ControlLines, CompletedLinesDoNotCountAgainstTheBound) {
  ControlLines lines(8);
  lines.feed("0123456789\nab");
  EXPECT_EQ(drain(lines), std::vector<std::string>{"0123456789"});
  EXPECT_FALSE(lines.overflowed());
}

}  // namespace
}  // namespace relay::net::protocol
