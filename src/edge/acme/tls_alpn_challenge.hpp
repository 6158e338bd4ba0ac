#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "relay/net/tls.hpp"

using SSL = struct ssl_st;

namespace relay::edge::acme {

// TLS-ALPN-01 (RFC 8737): the CA opens TLS to port 443 of the host with SNI = the host and ALPN
// offering only "acme-tls/1", and expects a self-signed certificate for the host carrying the
// SHA-256 of the key authorization in a critical acmeIdentifier extension. No HTTP follows.
inline constexpr std::string_view kAcmeTlsAlpn = "acme-tls/1";

// That certificate and a fresh key for it (EC P-256). Throws std::runtime_error on an OpenSSL
// failure.
net::CertificatePem make_tls_alpn_certificate(const std::string& host,
                                              const std::string& key_authorization);

// Whether a ClientHello's ALPN extension body (RFC 7301: a 2-byte list length, then
// length-prefixed names) offers "acme-tls/1". Reads untrusted bytes: anything malformed is no.
bool offers_acme_tls(const unsigned char* extension, std::size_t size);

// The handshake chose "acme-tls/1": it was the CA's validation, and the connection ends there.
bool negotiated_acme_tls(const SSL* ssl);

}  // namespace relay::edge::acme
