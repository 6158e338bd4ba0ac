#include "edge/name_generator.hpp"

#include <set>

#include <gtest/gtest.h>

#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {
namespace {

TEST(NameGenerator, EightLowercaseAlnumCharacters) {
  NameGenerator gen;
  for (int i = 0; i < 200; ++i) {
    auto name = gen.next();
    ASSERT_EQ(name.size(), NameGenerator::kLength);
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789"), std::string::npos)
        << name;
    EXPECT_TRUE(net::protocol::is_valid_tunnel_name(name));
  }
}

TEST(NameGenerator, NamesDiffer) {
  NameGenerator gen;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(gen.next());
  EXPECT_EQ(seen.size(), 1000u);  // 36^8 names: a collision here means a broken generator
}

TEST(NameGenerator, UsesTheWholeAlphabet) {
  NameGenerator gen;
  std::set<char> chars;
  for (int i = 0; i < 500; ++i) {
    for (char c : gen.next()) chars.insert(c);
  }
  EXPECT_EQ(chars.size(), 36u);
}

TEST(RandomHex, LengthAndAlphabet) {
  auto id = random_hex(16);
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(random_hex(16), id);
}

TEST(RequestId, SixteenHexCharactersAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    auto id = std::string(request_id().view());
    ASSERT_EQ(id.size(), 16u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10000u);
}

}  // namespace
}  // namespace relay::edge
