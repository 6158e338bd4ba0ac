#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "relay/net/tls.hpp"

using SSL_CTX = struct ssl_ctx_st;

namespace relay::edge::acme {

// The answers to the CA's validation while an order waits for it; only the edge's own orders in
// progress are known, so nothing else is answered here.
// - HTTP-01 (RFC 8555 §8.3): the CA fetches http://HOST/.well-known/acme-challenge/TOKEN and
//   must get the key authorization. The public HTTP listener asks before routing
//   (public_connection.cpp).
// - TLS-ALPN-01 (RFC 8737): the CA's TLS handshake with SNI HOST offering only "acme-tls/1"
//   gets a challenge certificate (tls_alpn_challenge.hpp); CertificateService's SNI callback
//   asks, and the connection ends after the handshake.
class ChallengeResponder {
 public:
  void add(const std::string& token, std::string key_authorization);
  void remove(const std::string& token);
  // The full HTTP/1.1 response for a request target that is a known challenge, or "".
  [[nodiscard]] std::string response_for(std::string_view target, bool keep_alive) const;
  [[nodiscard]] bool empty() const { return tokens_.empty(); }

  // Throws std::runtime_error when the certificate cannot be made.
  void add_tls_alpn(const std::string& host, const std::string& key_authorization);
  void remove_tls_alpn(const std::string& host);
  // The context to answer an acme-tls/1 handshake for `host` with; null when there is none.
  [[nodiscard]] SSL_CTX* tls_alpn_context(std::string_view host) const;

 private:
  std::map<std::string, std::string, std::less<>> tokens_;           // token → key authorization
  std::map<std::string, net::TlsContextPtr, std::less<>> tls_alpn_;  // host → its context
};

}  // namespace relay::edge::acme
