#include "edge/peer_protocol.hpp"

#include <algorithm>

#include "relay/verify/crypto.hpp"

namespace relay::edge::peer {

namespace {

constexpr std::string_view kHelloWord = "RELAY-PEER/1";
constexpr std::string_view kOkWord = "OK";
constexpr std::string_view kDeniedWord = "DENIED";
constexpr std::size_t kProofBytes = 32;

std::string proof_message(Role role, std::string_view keying_material, std::string_view edge_id) {
  std::string message = "relay-peer/1 ";
  message += role == Role::dialer ? "dialer" : "listener";
  message += '\n';
  message += keying_material;
  message += edge_id;
  return message;
}

// Printable ASCII without control bytes: a reason is logged.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

bool is_valid_edge_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string compute_proof(std::string_view secret, Role role, std::string_view keying_material,
                          std::string_view edge_id) {
  return verify::hmac(verify::HashAlgorithm::sha256, secret,
                      proof_message(role, keying_material, edge_id));
}

bool verify_proof(std::string_view secret, Role role, std::string_view keying_material,
                  std::string_view edge_id, std::string_view proof) {
  return verify::constant_time_equal(compute_proof(secret, role, keying_material, edge_id), proof);
}

std::string hello_line(std::string_view edge_id, std::string_view proof) {
  return std::string(kHelloWord) + " " + std::string(edge_id) + " " + verify::hex_encode(proof) +
         "\n";
}

std::string ok_line(std::string_view edge_id, std::string_view proof) {
  return std::string(kOkWord) + " " + std::string(edge_id) + " " + verify::hex_encode(proof) + "\n";
}

std::string denied_line(std::string_view reason) {
  return std::string(kDeniedWord) + " " + printable(reason) + "\n";
}

std::optional<PeerHello> parse_line(std::string_view line, bool expect_ok) {
  if (line.size() >= kMaxLine) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto first_space = line.find(' ');
  if (first_space == std::string_view::npos) return std::nullopt;
  const auto word = line.substr(0, first_space);
  auto rest = line.substr(first_space + 1);
  PeerHello out;
  if (expect_ok && word == kDeniedWord) {
    out.ok = false;
    out.denied = printable(rest);
    return out;
  }
  if (word != (expect_ok ? kOkWord : kHelloWord)) return std::nullopt;
  auto second_space = rest.find(' ');
  if (second_space == std::string_view::npos) return std::nullopt;
  const auto id = rest.substr(0, second_space);
  const auto proof_hex = rest.substr(second_space + 1);
  if (!is_valid_edge_id(id) || proof_hex.size() != 2 * kProofBytes) return std::nullopt;
  auto proof = verify::hex_decode(proof_hex);
  if (!proof || proof->size() != kProofBytes) return std::nullopt;
  out.edge_id = std::string(id);
  out.proof = std::move(*proof);
  return out;
}

}  // namespace relay::edge::peer
