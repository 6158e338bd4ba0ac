#include "relay/core/headers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "relay/core/content_length.hpp"

namespace relay::core {
namespace {

TEST(Headers, ContentLengthIsAPlainNumberOrNothing) {
  EXPECT_EQ(Headers({{"Content-Length", "1536"}}).content_length(), 1536u);
  EXPECT_EQ(Headers({{"content-length", "0"}}).content_length(), 0u);
  EXPECT_EQ(Headers{}.content_length(), std::nullopt);
  for (const char* bad : {"", "-1", "12a", " 12", "0x10", "99999999999999999999999"}) {
    EXPECT_EQ(Headers({{"content-length", bad}}).content_length(), std::nullopt) << bad;
    EXPECT_EQ(parse_content_length(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_content_length("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_content_length("007"), 7u);
}

TEST(Headers, GetIgnoresCaseAndKeepsRepeats) {
  Headers h{{"X-Sig", "a"}, {"x-sig", "b"}};
  EXPECT_EQ(h.get("X-SIG"), "a");
  EXPECT_EQ(h.get_all("x-Sig"), (std::vector<std::string_view>{"a", "b"}));
}

TEST(Headers, IequalsFoldsAsciiLettersOnly) {
  EXPECT_TRUE(iequals("content-type", "content-type"));
  EXPECT_TRUE(iequals("Content-Type", "cONTENT-tYPE"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("content-type", "content-typ"));
  EXPECT_FALSE(iequals("content-type", "content-typf"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_FALSE(iequals("@", "`"));  // 0x40 and 0x60: only letters fold
  EXPECT_FALSE(iequals("[", "{"));
  EXPECT_TRUE(iequals("x\xC4", "X\xC4"));
  EXPECT_FALSE(iequals("\xC4", "\xE4"));  // not Latin-1 aware
  // Longer than a word (compared eight bytes at a time), a difference in each part.
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("X-HUB-SIGNATURE-256", "x-hub-signature-256"));
  EXPECT_FALSE(iequals("Content-Length", "content-lengtx"));
  EXPECT_FALSE(iequals("Content-Length", "contenu-length"));
  EXPECT_FALSE(iequals("Content-Length", "content\x0dlength"));  // '-' | 0x20 is not CR
  EXPECT_FALSE(iequals("ABCDEFGH@", "abcdefgh`"));
  EXPECT_FALSE(iequals("abcdefgh[", "ABCDEFGH{"));
  EXPECT_TRUE(iequals("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"));
  EXPECT_FALSE(
      iequals("\xC4\xC4\xC4\xC4\xC4\xC4\xC4\xC4\xC4", "\xE4\xE4\xE4\xE4\xE4\xE4\xE4\xE4\xE4"));
}

TEST(Headers, AddKeepsOrderAndRepeats) {
  Headers h;
  h.add(":method", "POST");
  h.add("Set-Cookie", "a=1");
  h.add("content-type", "application/json");
  h.add("set-cookie", "b=2");
  ASSERT_EQ(h.size(), 4u);
  std::vector<std::pair<std::string, std::string>> seen;
  for (const auto& f : h) seen.emplace_back(f.name, f.value);
  EXPECT_EQ(seen,
            (std::vector<std::pair<std::string, std::string>>{{":method", "POST"},
                                                              {"Set-Cookie", "a=1"},
                                                              {"content-type", "application/json"},
                                                              {"set-cookie", "b=2"}}));
  EXPECT_EQ(h.get_all("SET-COOKIE"), (std::vector<std::string_view>{"a=1", "b=2"}));
  EXPECT_EQ(h.begin()->name, ":method");
  EXPECT_FALSE(h.contains("cookie"));
}

TEST(Headers, EmptyNamesAndValuesAreFields) {
  Headers h;
  h.add("", "");
  h.add("x-empty", "");
  h.add("", "v");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.get(""), "");
  EXPECT_EQ(h.get("x-empty"), "");
  EXPECT_EQ(h.get_all(""), (std::vector<std::string_view>{"", "v"}));
}

TEST(Headers, SetReplacesEveryFieldOfTheNameWithOneAtTheEnd) {
  Headers h{{"a", "1"}, {"X-Sig", "old1"}, {"b", "2"}, {"x-sig", "old2"}};
  h.set("x-sig", "new");
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.get_all("X-SIG"), (std::vector<std::string_view>{"new"}));
  std::vector<std::string> names;
  for (const auto& f : h) names.emplace_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "x-sig"}));
  h.set("new-one", "v");
  EXPECT_EQ(h.get("new-one"), "v");
}

TEST(Headers, SetMayTakeItsValueFromItsOwnFields) {
  Headers h{{"a", "a value long enough to matter"}, {"b", "2"}};
  h.set("a", *h.get("a"));  // erase leaves the text; add copies it
  EXPECT_EQ(h.get("a"), "a value long enough to matter");
  for (int i = 0; i < 100; ++i) h.add("copy", *h.get("a"));  // across several growths
  for (const auto& v : h.get_all("copy")) EXPECT_EQ(v, "a value long enough to matter");
  EXPECT_EQ(h.get("b"), "2");
}

TEST(Headers, EraseRemovesEveryFieldOfTheNameAndKeepsTheOthersViews) {
  Headers h{{"Keep", "k1"}, {"drop", "d1"}, {"keep", "k2"}, {"DROP", "d2"}};
  const auto k2 = *h.get_all("keep").rbegin();
  EXPECT_EQ(h.erase("Drop"), 2u);
  EXPECT_EQ(h.erase("absent"), 0u);
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(k2, "k2");  // erase moves no text
  EXPECT_EQ(h.get_all("KEEP"), (std::vector<std::string_view>{"k1", "k2"}));
}

TEST(Headers, FieldsReadAfterManyAddsAreIntact) {
  Headers h;
  for (int i = 0; i < 1000; ++i) {
    h.add("x-field-" + std::to_string(i), std::string(static_cast<std::size_t>(i % 97), 'v'));
  }
  ASSERT_EQ(h.size(), 1000u);
  int i = 0;
  for (const auto& f : h) {
    EXPECT_EQ(f.name, "x-field-" + std::to_string(i));
    EXPECT_EQ(f.value, std::string(static_cast<std::size_t>(i % 97), 'v'));
    ++i;
  }
  EXPECT_EQ(h.get("X-FIELD-999"), std::string(999 % 97, 'v'));
}

TEST(Headers, CopiesAreIndependent) {
  Headers a{{"x", "1"}, {"y", "a longer value than fifteen bytes"}};
  Headers b = a;
  b.add("z", "3");
  b.set("x", "changed");
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(a.get("x"), "1");
  EXPECT_FALSE(a.contains("z"));
  EXPECT_EQ(b.get("x"), "changed");
  EXPECT_EQ(b.get("y"), "a longer value than fifteen bytes");

  Headers c{{"old", "field"}};
  c = a;  // copy assignment, into a Headers with fields
  EXPECT_EQ(c.size(), 2u);
  EXPECT_FALSE(c.contains("old"));
  EXPECT_EQ(c.get("y"), "a longer value than fifteen bytes");
  c = Headers{};
  EXPECT_TRUE(c.empty());
  const Headers& same = c;
  c = same;  // self-assignment
  EXPECT_TRUE(c.empty());
  Headers empty_copy = c;
  EXPECT_TRUE(empty_copy.empty());
  empty_copy.add("after", "copy");
  EXPECT_EQ(empty_copy.get("after"), "copy");
}

TEST(Headers, MovesKeepViewsAndLeaveTheSourceEmpty) {
  Headers a{{"x", "1"}, {"y", "a longer value than fifteen bytes"}};
  const auto y = *a.get("y");
  Headers b = std::move(a);
  EXPECT_EQ(y.data(), b.get("y")->data());  // the buffer itself moved
  EXPECT_TRUE(a.empty());                   // NOLINT(bugprone-use-after-move): as documented
  a.add("reused", "after the move");
  EXPECT_EQ(a.get("reused"), "after the move");
  Headers c;
  c = std::move(b);
  EXPECT_EQ(c.get("y"), "a longer value than fifteen bytes");
  EXPECT_EQ(y.data(), c.get("y")->data());
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(Headers, ClearKeepsItUsable) {
  Headers h;
  h.reserve(4, 64);
  h.add("a", "1");
  h.clear();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.begin(), h.end());
  h.add("b", "2");
  EXPECT_EQ(h.size(), 1u);
  EXPECT_FALSE(h.contains("a"));
  EXPECT_EQ(h.get("b"), "2");
}

TEST(Headers, MemoryBytesCountsWhatItHoldsNotOnlyWhatItShows) {
  Headers h;
  EXPECT_EQ(h.memory_bytes(), 0u);
  h.reserve(4, 1000);
  // Reserved room counts (a capture's cost bounds the agent's memory, not the bytes shown).
  EXPECT_GE(h.memory_bytes(), 1000u + 4 * 12);
  const auto reserved = h.memory_bytes();
  h.add("content-type", "application/json");
  EXPECT_EQ(h.memory_bytes(), reserved);  // fits the room: nothing new allocated
  std::string big(5000, 'x');
  h.add("x-big", big);
  EXPECT_GE(h.memory_bytes(), big.size() + 2 * 12);
}

TEST(Headers, WorksWithRangeAlgorithms) {
  const Headers h{{"a", "1"}, {"B", "2"}};
  EXPECT_TRUE(std::ranges::any_of(h, [](const auto& f) { return f.name == "B"; }));
  EXPECT_TRUE(
      std::none_of(h.begin(), h.end(), [](const Headers::Field& f) { return f.value.empty(); }));
  EXPECT_EQ(std::distance(h.begin(), h.end()), 2);
}

}  // namespace
}  // namespace relay::core
