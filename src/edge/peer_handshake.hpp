#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "relay/net/tls.hpp"

namespace relay::edge::peer {

// cluster: peer link. The secret proof both edges give right after their TLS handshake
// (peer_protocol.hpp), before HTTP/2 starts on the same connection. The caller bounds the
// exchange in time (a Deadline that closes the socket).
struct ProofOutcome {
  bool ok = false;
  std::string peer_edge_id;      // what the other side says it is (set even when its proof failed)
  std::string error;             // for the log: what went wrong and what to check
  bool refused_by_peer = false;  // dialer: the listener answered DENIED
  std::string already_read;      // bytes after the exchange: the start of HTTP/2
};

// The dialing (forwarding) edge: sends its proof, checks the listener's. `expected_peer` is the
// edge id Redis listed at that address; another id is refused.
boost::asio::awaitable<ProofOutcome> prove_as_dialer(net::TlsStream& stream, std::string secret,
                                                     std::string edge_id,
                                                     std::string expected_peer);

// The listening (owning) edge: checks the dialer's proof, answers with its own, or with DENIED
// and the caller closes the connection.
boost::asio::awaitable<ProofOutcome> prove_as_listener(net::TlsStream& stream, std::string secret,
                                                       std::string edge_id);

}  // namespace relay::edge::peer
