#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "edge/acme/acme_messages.hpp"
#include "edge/acme/challenge_responder.hpp"
#include "edge/acme/https_client.hpp"
#include "edge/acme/jws.hpp"

namespace relay::edge::acme {

struct AcmeClientSettings {
  std::string directory_url;
  std::string email;
  std::chrono::seconds request_timeout{30};
  std::chrono::milliseconds poll_interval{1000};  // while the CA validates or issues
  int max_polls = 60;
  bool tls_alpn = false;  // answer TLS-ALPN-01 challenges instead of HTTP-01
};

// The ACME protocol (RFC 8555 §7) for one account: directory, nonces, account, and a whole
// order for one host over HTTP-01. Coroutines on the edge's io thread; every network step is
// bounded by request_timeout and every wait by max_polls. Failures throw std::runtime_error with
// the CA's problem detail.
class AcmeClient {
 public:
  AcmeClient(const boost::asio::any_io_executor& ex, net::TlsContextPtr tls, AccountKey key,
             AcmeClientSettings settings, ChallengeResponder& challenges);

  // The PEM chain of a new certificate for `host`, for the key `key_pem`.
  boost::asio::awaitable<std::string> order_certificate(std::string host, std::string key_pem);

 private:
  boost::asio::awaitable<void> ensure_account();
  // A signed POST (payload nullopt: POST-as-GET), with a fresh nonce and one retry on badNonce.
  boost::asio::awaitable<HttpsResponse> post(std::string url,
                                             std::optional<nlohmann::json> payload);
  boost::asio::awaitable<std::string> take_nonce();
  boost::asio::awaitable<void> authorize(const std::string& url);
  boost::asio::awaitable<void> pause();

  boost::asio::any_io_executor executor_;
  HttpsClient http_;
  AccountKey key_;
  AcmeClientSettings settings_;
  ChallengeResponder& challenges_;
  std::optional<Directory> directory_;
  std::string account_url_;  // the "kid" of every request after newAccount
  std::string nonce_;        // from the last answer; used once
};

}  // namespace relay::edge::acme
