#include "edge/peer_protocol.hpp"

#include <gtest/gtest.h>

#include "relay/verify/crypto.hpp"

namespace relay::edge::peer {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";
const std::string kMaterial(32, '\x42');

TEST(PeerProof, VerifiesWhatWasComputed) {
  auto proof = compute_proof(kSecret, Role::dialer, kMaterial, "edge-b");
  EXPECT_EQ(proof.size(), 32u);
  EXPECT_TRUE(verify_proof(kSecret, Role::dialer, kMaterial, "edge-b", proof));
}

TEST(PeerProof, WrongSecretFails) {
  auto proof = compute_proof("another secret", Role::dialer, kMaterial, "edge-b");
  EXPECT_FALSE(verify_proof(kSecret, Role::dialer, kMaterial, "edge-b", proof));
}

TEST(PeerProof, BoundToTheChannel) {
  // A proof recorded on one TLS connection (its keying material) fails on another.
  auto proof = compute_proof(kSecret, Role::dialer, kMaterial, "edge-b");
  const std::string other(32, '\x43');
  EXPECT_FALSE(verify_proof(kSecret, Role::dialer, other, "edge-b", proof));
}

TEST(PeerProof, BoundToTheEdgeIdAndTheRole) {
  auto proof = compute_proof(kSecret, Role::dialer, kMaterial, "edge-b");
  EXPECT_FALSE(verify_proof(kSecret, Role::dialer, kMaterial, "edge-c", proof));
  // The listener's answer cannot be reflected back as a dialer's proof.
  EXPECT_FALSE(verify_proof(kSecret, Role::listener, kMaterial, "edge-b", proof));
}

TEST(PeerProof, TruncatedOrEmptyProofFails) {
  auto proof = compute_proof(kSecret, Role::dialer, kMaterial, "edge-b");
  EXPECT_FALSE(verify_proof(kSecret, Role::dialer, kMaterial, "edge-b", proof.substr(0, 31)));
  EXPECT_FALSE(verify_proof(kSecret, Role::dialer, kMaterial, "edge-b", ""));
}

TEST(PeerLines, HelloRoundTrips) {
  auto proof = compute_proof(kSecret, Role::dialer, kMaterial, "edge-b");
  auto line = hello_line("edge-b", proof);
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  auto parsed = parse_line(line, false);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->ok);
  EXPECT_EQ(parsed->edge_id, "edge-b");
  EXPECT_EQ(parsed->proof, proof);
  EXPECT_FALSE(parse_line(line, true));  // a hello is not an answer
}

TEST(PeerLines, OkAndDenied) {
  auto proof = compute_proof(kSecret, Role::listener, kMaterial, "edge-a");
  auto ok = ok_line("edge-a", proof);
  ok.pop_back();
  auto parsed = parse_line(ok, true);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->ok);
  EXPECT_EQ(parsed->edge_id, "edge-a");
  auto denied = denied_line("wrong cluster secret proof\x01");
  denied.pop_back();
  auto refusal = parse_line(denied, true);
  ASSERT_TRUE(refusal);
  EXPECT_FALSE(refusal->ok);
  EXPECT_EQ(refusal->denied, "wrong cluster secret proof?");
  EXPECT_FALSE(parse_line(denied, false));  // a dialer never sends DENIED
}

TEST(PeerLines, RefusesMalformed) {
  const std::string hex(64, 'a');
  EXPECT_TRUE(parse_line("RELAY-PEER/1 edge-b " + hex, false));
  EXPECT_TRUE(parse_line("RELAY-PEER/1 edge-b " + hex + "\r", false));
  EXPECT_FALSE(parse_line("", false));
  EXPECT_FALSE(parse_line("RELAY-PEER/1", false));
  EXPECT_FALSE(parse_line("RELAY-PEER/1 edge-b", false));
  EXPECT_FALSE(parse_line("RELAY-PEER/2 edge-b " + hex, false));
  EXPECT_FALSE(parse_line("RELAY-PEER/1 bad id " + hex, false));
  EXPECT_FALSE(parse_line("RELAY-PEER/1 edge-b " + hex.substr(2), false));
  EXPECT_FALSE(parse_line("RELAY-PEER/1 edge-b " + std::string(64, 'z'), false));
  EXPECT_FALSE(parse_line("RELAY-PEER/1 " + std::string(65, 'e') + " " + hex, false));
  EXPECT_FALSE(parse_line(std::string(300, 'x'), false));
}

TEST(PeerLines, EdgeIds) {
  EXPECT_TRUE(is_valid_edge_id("edge-a.eu_1"));
  EXPECT_FALSE(is_valid_edge_id(""));
  EXPECT_FALSE(is_valid_edge_id("a b"));
  EXPECT_FALSE(is_valid_edge_id(std::string(65, 'a')));
}

}  // namespace
}  // namespace relay::edge::peer
