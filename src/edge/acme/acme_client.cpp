#include "edge/acme/acme_client.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "edge/acme/certificate_request.hpp"

namespace relay::edge::acme {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Json = nlohmann::json;

namespace {

std::runtime_error problem(std::string_view step, const HttpsResponse& res) {
  auto p = parse_problem(res.body);
  return std::runtime_error(fmt::format("ACME {} refused (HTTP {}): {}", step, res.status,
                                        p && !p->detail.empty() ? p->detail : "no detail"));
}

bool is_bad_nonce(const HttpsResponse& res) {
  auto p = parse_problem(res.body);
  return res.status == 400 && p && p->type == "urn:ietf:params:acme:error:badNonce";
}

}  // namespace

AcmeClient::AcmeClient(const asio::any_io_executor& ex, net::TlsContextPtr tls, AccountKey key,
                       AcmeClientSettings settings, ChallengeResponder& challenges)
    : executor_(ex),
      http_(ex, std::move(tls), settings.request_timeout),
      key_(std::move(key)),
      settings_(std::move(settings)),
      challenges_(challenges) {}

asio::awaitable<void> AcmeClient::pause() {
  asio::steady_timer timer(executor_);
  timer.expires_after(settings_.poll_interval);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<std::string> AcmeClient::take_nonce() {
  if (!nonce_.empty()) co_return std::exchange(nonce_, {});
  auto res = co_await http_.request(http::verb::head, directory_->new_nonce);
  if (res.replay_nonce.empty()) {
    throw std::runtime_error("the ACME server gave no nonce at " + directory_->new_nonce);
  }
  co_return res.replay_nonce;
}

asio::awaitable<HttpsResponse> AcmeClient::post(std::string url, std::optional<Json> payload) {
  for (int attempt = 0;; ++attempt) {
    auto nonce = co_await take_nonce();
    auto res = co_await http_.request(http::verb::post, url,
                                      make_jws(key_, account_url_, nonce, url, payload));
    if (!res.replay_nonce.empty()) nonce_ = res.replay_nonce;
    if (attempt < 2 && is_bad_nonce(res)) continue;
    co_return res;
  }
}

asio::awaitable<void> AcmeClient::ensure_account() {
  if (!directory_) {
    auto res = co_await http_.request(http::verb::get, settings_.directory_url);
    directory_ = parse_directory(res.body);
    if (res.status != 200 || !directory_) {
      throw std::runtime_error(
          fmt::format("{} is not an ACME directory (HTTP {}); check "
                      "--acme-directory",
                      settings_.directory_url, res.status));
    }
  }
  if (!account_url_.empty()) co_return;
  Json payload;
  payload["termsOfServiceAgreed"] = true;
  if (!settings_.email.empty()) payload["contact"] = Json::array({"mailto:" + settings_.email});
  // Same key, same account: the CA answers 200 with the existing account's URL after a restart.
  auto res = co_await post(directory_->new_account, payload);
  if ((res.status != 200 && res.status != 201) || res.location.empty()) {
    throw problem("newAccount", res);
  }
  account_url_ = res.location;
}

asio::awaitable<void> AcmeClient::authorize(const std::string& url) {
  auto res = co_await post(url, std::nullopt);
  auto authz = parse_authorization(res.body);
  if (res.status != 200 || !authz) throw problem("authorization", res);
  if (authz->status == "valid") co_return;
  const std::string_view wanted = settings_.tls_alpn ? "tls-alpn-01" : "http-01";
  const Challenge* challenge = nullptr;
  for (const auto& c : authz->challenges) {
    if (c.type == wanted) challenge = &c;
  }
  if (challenge == nullptr || challenge->token.empty()) {
    throw std::runtime_error(
        fmt::format("the ACME server offers no {} challenge for {}", wanted, authz->identifier));
  }
  const std::string token = challenge->token;
  const std::string host = authz->identifier;
  if (settings_.tls_alpn) {
    challenges_.add_tls_alpn(host, key_authorization(token, key_));
  } else {
    challenges_.add(token, key_authorization(token, key_));
  }
  // Answered only while this authorization is being validated.
  struct Forget {
    ChallengeResponder& challenges;
    std::string token;
    std::string host;
    ~Forget() {
      challenges.remove(token);
      challenges.remove_tls_alpn(host);
    }
  } forget{challenges_, token, host};
  const Json empty = Json::object();  // "respond to this challenge" (§7.5.1)
  auto started = co_await post(challenge->url, empty);
  if (started.status != 200) throw problem("challenge", started);
  for (int i = 0; i < settings_.max_polls; ++i) {
    co_await pause();
    auto polled = co_await post(url, std::nullopt);
    auto now = parse_authorization(polled.body);
    if (polled.status != 200 || !now) throw problem("authorization", polled);
    if (now->status == "valid") co_return;
    if (now->status != "pending") {
      throw std::runtime_error(
          settings_.tls_alpn
              ? fmt::format("the ACME server could not validate {} over TLS-ALPN-01 "
                            "(authorization {}); it must reach {}:443 on the edge's --listen-tls",
                            host, now->status, host)
              : fmt::format("the ACME server could not validate {} over HTTP-01 (authorization "
                            "{}); it must reach http://{}/.well-known/acme-challenge/ on the "
                            "edge's --listen port 80",
                            host, now->status, host));
    }
  }
  throw std::runtime_error("the ACME server did not validate " + authz->identifier + " in time");
}

asio::awaitable<std::string> AcmeClient::order_certificate(std::string host, std::string key_pem) {
  co_await ensure_account();
  // Named payloads: GCC 12 miscompiles braced initializers inside a co_await expression.
  Json identifier;
  identifier["type"] = "dns";
  identifier["value"] = host;
  Json new_order;
  new_order["identifiers"] = Json::array({identifier});
  auto created = co_await post(directory_->new_order, new_order);
  auto order = parse_order(created.body);
  if (created.status != 201 || !order || created.location.empty()) {
    throw problem("newOrder", created);
  }
  const std::string order_url = created.location;
  for (const auto& authz : order->authorizations) co_await authorize(authz);

  const std::string csr = base64url(make_csr_der(key_pem, host));
  Json finalize;
  finalize["csr"] = csr;
  auto finalized = co_await post(order->finalize, finalize);
  if (finalized.status != 200) throw problem("finalize", finalized);
  order = parse_order(finalized.body);
  for (int i = 0; i < settings_.max_polls && (!order || order->status != "valid"); ++i) {
    if (order && order->status == "invalid") break;
    co_await pause();
    auto polled = co_await post(order_url, std::nullopt);
    order = parse_order(polled.body);
  }
  if (!order || order->status != "valid" || order->certificate.empty()) {
    const std::string status = order ? order->status : std::string("unreadable");
    throw std::runtime_error("the ACME server did not issue the certificate for " + host +
                             " (order " + status + ")");
  }
  auto cert = co_await post(order->certificate, std::nullopt);
  if (cert.status != 200 || !certificate_not_after(cert.body)) {
    throw problem("certificate download", cert);
  }
  co_return cert.body;
}

}  // namespace relay::edge::acme
