#include "edge/peer_handshake.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "edge/peer_protocol.hpp"

namespace relay::edge::peer {

namespace asio = boost::asio;

namespace {

constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);

// RFC 5705 / RFC 8446 §7.5: both ends of this TLS connection, and nobody else, derive these
// bytes; a proof over them is worthless on another connection.
std::string keying_material(net::TlsStream& stream) {
  std::string out(kExporterBytes, '\0');
  if (SSL_export_keying_material(
          stream.native_handle(), reinterpret_cast<unsigned char*>(out.data()), out.size(),
          kExporterLabel.data(), kExporterLabel.size(), nullptr, 0, 0) != 1) {
    return {};
  }
  return out;
}

// One line (at most kMaxLine bytes); `rest` gets what came after it.
asio::awaitable<std::optional<std::string>> read_line(net::TlsStream& stream, std::string& rest) {
  std::string buffer;
  auto [ec, n] = co_await asio::async_read_until(stream, asio::dynamic_buffer(buffer, kMaxLine),
                                                 '\n', kAwaitable);
  if (ec) co_return std::nullopt;
  rest = buffer.substr(n);
  buffer.resize(n - 1);
  co_return buffer;
}

}  // namespace

asio::awaitable<ProofOutcome> prove_as_dialer(net::TlsStream& stream, std::string secret,
                                              std::string edge_id, std::string expected_peer) {
  ProofOutcome out;
  const auto material = keying_material(stream);
  if (material.empty()) {
    out.error = "TLS keying material export failed";
    co_return out;
  }
  const auto hello = hello_line(edge_id, compute_proof(secret, Role::dialer, material, edge_id));
  auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(hello), kAwaitable);
  if (write_ec) {
    out.error = "the connection closed before the proof was sent (" + write_ec.message() + ")";
    co_return out;
  }
  auto line = co_await read_line(stream, out.already_read);
  if (!line) {
    out.error = "the peer closed the connection without answering the proof";
    co_return out;
  }
  auto answer = parse_line(*line, true);
  if (!answer) {
    out.error = "the peer's answer is not the peer-link protocol (is this address a peer port?)";
    co_return out;
  }
  if (!answer->ok) {
    out.refused_by_peer = true;
    out.error = "the peer refused this edge's proof of the cluster secret (" + answer->denied +
                "); check that --cluster-secret is the same on every edge";
    co_return out;
  }
  out.peer_edge_id = answer->edge_id;
  if (!verify_proof(secret, Role::listener, material, answer->edge_id, answer->proof)) {
    out.error =
        "the peer failed to prove the cluster secret; check that --cluster-secret is the "
        "same on every edge";
    co_return out;
  }
  if (answer->edge_id != expected_peer) {
    out.error = "the peer is edge '" + answer->edge_id + "', not '" + expected_peer +
                "' as Redis says; two edges share an id or an address";
    co_return out;
  }
  out.ok = true;
  co_return out;
}

asio::awaitable<ProofOutcome> prove_as_listener(net::TlsStream& stream, std::string secret,
                                                std::string edge_id) {
  ProofOutcome out;
  const auto material = keying_material(stream);
  auto line = co_await read_line(stream, out.already_read);
  if (!line) {
    out.error = "the connection closed before a proof arrived";
    co_return out;
  }
  auto hello = parse_line(*line, false);
  std::string denial;
  if (material.empty()) {
    out.error = "TLS keying material export failed";
    denial = "internal error";
  } else if (!hello) {
    out.error = "the first line is not the peer-link protocol";
    denial = "not a peer-link hello";
  } else {
    out.peer_edge_id = hello->edge_id;
    if (!verify_proof(secret, Role::dialer, material, hello->edge_id, hello->proof)) {
      out.error =
          "wrong proof of the cluster secret; check that --cluster-secret is the same on "
          "every edge";
      denial = "wrong cluster secret proof";
    }
  }
  if (!denial.empty()) {
    const auto bytes = denied_line(denial);
    co_await asio::async_write(stream, asio::buffer(bytes), kAwaitable);
    co_return out;
  }
  const auto ok = ok_line(edge_id, compute_proof(secret, Role::listener, material, edge_id));
  auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(ok), kAwaitable);
  if (write_ec) {
    out.error = "the connection closed before the answer was sent (" + write_ec.message() + ")";
    co_return out;
  }
  out.ok = true;
  co_return out;
}

}  // namespace relay::edge::peer
