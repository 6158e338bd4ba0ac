#include "relay/verify/crypto.hpp"

#include <gtest/gtest.h>

namespace relay::verify {
namespace {

TEST(Crypto, HmacMatchesRfc4231Case2) {
  EXPECT_EQ(hex_encode(hmac(HashAlgorithm::sha256, "Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// How authtokens are stored: the hash, as lower-case hex, and nothing else passes as one.
TEST(Crypto, Sha256HexKnownVectorsAndShape) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(is_sha256_hex(sha256_hex("token")));
  EXPECT_FALSE(is_sha256_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  EXPECT_FALSE(is_sha256_hex(sha256_hex("token").substr(1)));
  EXPECT_FALSE(is_sha256_hex(""));
}

TEST(Crypto, Base64RoundTripAndRejectsGarbage) {
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_EQ(base64_decode("aGVsbG8=").value(), "hello");
  EXPECT_EQ(base64_decode("aGVsbG8").value(), "hello");
  EXPECT_FALSE(base64_decode("!!not base64!!").has_value());
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8").value(), "\xfb\xff");
}

TEST(Crypto, HexDecodeRejectsOddAndNonHex) {
  EXPECT_EQ(hex_decode("00ff").value(), std::string("\x00\xff", 2));
  EXPECT_FALSE(hex_decode("abc").has_value());
  EXPECT_FALSE(hex_decode("zz").has_value());
}

TEST(Crypto, ConstantTimeEqualComparesLengthAndBytes) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(Crypto, Ed25519Rfc8032Test1) {
  const auto key =
      hex_decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a").value();
  const auto sig = hex_decode(
                       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a"
                       "33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
                       .value();
  EXPECT_TRUE(ed25519_verify(key, "", sig));
  EXPECT_FALSE(ed25519_verify(key, "x", sig));
  EXPECT_FALSE(ed25519_verify("short", "", sig));
}

TEST(Crypto, FormDecode) { EXPECT_EQ(form_decode("Caf%C3%A9+amount%2"), "Café amount%2"); }

}  // namespace
}  // namespace relay::verify
