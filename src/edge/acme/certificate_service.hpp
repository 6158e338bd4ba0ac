#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "edge/acme/acme_client.hpp"
#include "edge/acme/certificate_manager.hpp"
#include "edge/acme/certificate_store.hpp"
#include "edge/acme/challenge_responder.hpp"
#include "relay/core/clock.hpp"
#include "relay/net/tls.hpp"

using SSL_CTX = struct ssl_ctx_st;

namespace relay::edge {
struct EdgeState;
}

namespace relay::edge::acme {

// Automatic certificates for the public TLS listener: one per tunnel host, chosen by SNI.
//
// A TLS handshake cannot wait for a coroutine, so the SNI callback never blocks: it serves the
// host's ACME certificate when one is ready and otherwise leaves the handshake on the fallback
// certificate (--tls-cert) and, when CertificateManager says so, starts an order in the
// background. The client that triggered the order sees the fallback; the next handshake after
// issuance gets the new certificate. Stored certificates are loaded at start and renewed by a
// periodic check (and by any handshake) once within renew_before of expiry.
//
// Owned by EdgeState (state->acme); single-threaded like the rest of the edge.
class CertificateService {
 public:
  // Loads (or creates) the account key and every stored certificate. Throws
  // std::runtime_error when the state directory or the CA file cannot be used.
  CertificateService(std::weak_ptr<EdgeState> state, const EdgeState& current);

  // Makes `public_tls` pick the host's certificate by SNI.
  void install(boost::asio::ssl::context& public_tls);
  void start();  // the renewal check
  void stop();

  [[nodiscard]] ChallengeResponder& challenges() { return challenges_; }

 private:
  struct Ready {
    net::TlsContextPtr tls;
    core::Clock::time_point not_after;
  };

  static int on_servername(SSL* ssl, int* alert, void* arg);
  SSL_CTX* certificate_for(const std::string& host);
  void consider_order(const std::string& host, core::Clock::time_point now);
  [[nodiscard]] bool owned(const std::string& host) const;
  void remember(const std::string& host, const net::CertificatePem& pem);
  static boost::asio::awaitable<void> run_order(std::shared_ptr<EdgeState> state, std::string host);
  static boost::asio::awaitable<void> renew_loop(std::weak_ptr<EdgeState> state);

  std::weak_ptr<EdgeState> state_;
  const EdgeState& current_;  // the owner: outlives this
  CertificateStore store_;
  CertificateManager manager_;
  ChallengeResponder challenges_;
  std::unique_ptr<AcmeClient> client_;
  std::map<std::string, Ready, std::less<>> ready_;
  // Owned hosts refused by the rate limit, when last warned about (owned names only: bounded).
  std::map<std::string, core::Clock::time_point, std::less<>> rate_limit_warned_;
  std::unique_ptr<boost::asio::steady_timer> renew_timer_;
  bool stopped_ = false;
};

}  // namespace relay::edge::acme

namespace relay::edge {
// The HTTP-01 answer for `target` when ACME is on and the token is one of the edge's orders in
// progress, else "" (the request is routed as usual).
std::string acme_challenge_response(EdgeState& state, std::string_view target, bool keep_alive);
}  // namespace relay::edge
