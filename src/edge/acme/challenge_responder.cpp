#include "edge/acme/challenge_responder.hpp"

#include <fmt/format.h>

#include "edge/acme/tls_alpn_challenge.hpp"

namespace relay::edge::acme {

namespace {
constexpr std::string_view kPrefix = "/.well-known/acme-challenge/";
}

void ChallengeResponder::add(const std::string& token, std::string key_authorization) {
  tokens_[token] = std::move(key_authorization);
}

void ChallengeResponder::remove(const std::string& token) { tokens_.erase(token); }

std::string ChallengeResponder::response_for(std::string_view target, bool keep_alive) const {
  if (tokens_.empty() || !target.starts_with(kPrefix)) return {};
  auto it = tokens_.find(target.substr(kPrefix.size()));
  if (it == tokens_.end()) return {};
  return fmt::format(
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n"
      "Cache-Control: no-store\r\n{}\r\n{}",
      it->second.size(), keep_alive ? "" : "Connection: close\r\n", it->second);
}

void ChallengeResponder::add_tls_alpn(const std::string& host,
                                      const std::string& key_authorization) {
  tls_alpn_[host] = net::make_server_tls_context(make_tls_alpn_certificate(host, key_authorization),
                                                 {std::string(kAcmeTlsAlpn)});
}

void ChallengeResponder::remove_tls_alpn(const std::string& host) { tls_alpn_.erase(host); }

SSL_CTX* ChallengeResponder::tls_alpn_context(std::string_view host) const {
  auto it = tls_alpn_.find(host);
  return it != tls_alpn_.end() ? it->second->native_handle() : nullptr;
}

}  // namespace relay::edge::acme
