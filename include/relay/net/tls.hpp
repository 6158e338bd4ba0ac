#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "relay/net/tls_stream.hpp"

namespace relay::net {

using TlsContextPtr = std::shared_ptr<boost::asio::ssl::context>;

struct CertificatePem {
  std::string cert;
  std::string key;
};

// A fresh EC P-256 key and a self-signed certificate for `names` (DNS names or IP literals),
// valid for a year. The embedded edge uses one per process and the agent pins it.
CertificatePem make_self_signed_certificate(const std::vector<std::string>& names);

// Server context (TLS 1.2+), from PEM files or PEM text. `alpn` lists the protocols the server
// accepts in order of preference; empty accepts any. Throws std::runtime_error saying which file
// is wrong and why.
TlsContextPtr make_server_tls_context(const CertificatePem& pem,
                                      const std::vector<std::string>& alpn);
CertificatePem read_pem_files(const std::string& cert_file, const std::string& key_file);

struct TlsClientOptions {
  std::string ca_file;     // trust only this CA bundle (PEM); empty: the system store
  std::string pinned_pem;  // trust only this certificate (embedded edge)
  bool insecure = false;   // no verification at all: tests only, and relay says so
  std::vector<std::string> alpn;
};
TlsContextPtr make_client_tls_context(const TlsClientOptions& options);

// SNI and host name (or IP) verification for one connection, before the handshake.
void prepare_client_stream(TlsStream& stream, std::string_view host, bool verify_host);

// A user-facing explanation of a failed handshake ("certificate verify failed: self-signed ...").
std::string describe_tls_error(const boost::system::error_code& ec, const TlsStream& stream);

}  // namespace relay::net
