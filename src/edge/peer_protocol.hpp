#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace relay::edge::peer {

// cluster: peer link (docs/cluster.md, "The peer link"). The few bytes two edges exchange after
// their TLS handshake and before HTTP/2, to prove to each other that both know the cluster
// secret. The proof is bound to the TLS channel (an exported keying material, RFC 5705), so a
// proof recorded on one connection is worthless on any other.

// The hop marker: set by the forwarding edge on every stream it opens on the peer link, and
// stripped from public requests (request_head.cpp), so a public client cannot pose as a peer.
inline constexpr std::string_view kHopHeader = "relay-peer-hop";

// Label for SSL_export_keying_material (32 bytes, no context).
inline constexpr std::string_view kExporterLabel = "EXPORTER-relay-peer-link";
inline constexpr std::size_t kExporterBytes = 32;
// A line of the exchange is at most this long (newline included).
inline constexpr std::size_t kMaxLine = 256;

enum class Role { dialer, listener };

// HMAC-SHA256(secret, "relay-peer/1 " role "\n" keying_material edge_id), raw 32 bytes. The role
// keeps the listener's answer from being reflected back as a dialer's proof.
std::string compute_proof(std::string_view secret, Role role, std::string_view keying_material,
                          std::string_view edge_id);
// Constant time in the proof's bytes.
bool verify_proof(std::string_view secret, Role role, std::string_view keying_material,
                  std::string_view edge_id, std::string_view proof);

// The dialer's line: "RELAY-PEER/1 <edge-id> <proof hex>\n".
// The listener's answer: "OK <edge-id> <proof hex>\n", or "DENIED <reason>\n".
std::string hello_line(std::string_view edge_id, std::string_view proof);
std::string ok_line(std::string_view edge_id, std::string_view proof);
std::string denied_line(std::string_view reason);

struct PeerHello {
  bool ok = true;       // false: a DENIED answer (its reason in `denied`)
  std::string edge_id;  // the sender's edge id
  std::string proof;    // raw 32 bytes
  std::string denied;   // a DENIED answer's reason
};
// Parses one line (without its newline) as a dialer's hello (`expect_ok` false) or a listener's
// answer (`expect_ok` true). nullopt: not a line of this protocol (a bad edge id, a proof that is
// not 64 hex digits, unknown words).
std::optional<PeerHello> parse_line(std::string_view line, bool expect_ok);

bool is_valid_edge_id(std::string_view id);

}  // namespace relay::edge::peer
