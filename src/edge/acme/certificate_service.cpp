#include "edge/acme/certificate_service.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "edge/acme/certificate_request.hpp"
#include "edge/acme/tls_alpn_challenge.hpp"
#include "edge/edge_state.hpp"
#include "relay/core/headers.hpp"
#include "relay/core/log.hpp"

namespace relay::edge::acme {

namespace asio = boost::asio;

namespace {

AccountKey load_or_create_account(const CertificateStore& store) {
  if (auto pem = store.load_account_key()) return AccountKey::from_pem(*pem);
  auto key = AccountKey::generate();
  store.save_account_key(key.private_pem());
  return key;
}

bool uses_tls_alpn(const EdgeOptions& options) {
  if (!options.acme.challenge.empty()) return options.acme.challenge == "tls-alpn-01";
  return options.listen.empty();
}

// Marks a handshake whose ClientHello offers "acme-tls/1" (SSL ex_data), for on_servername.
int acme_tls_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int on_client_hello(SSL* ssl, int* /*alert*/, void* /*arg*/) {
  const unsigned char* alpn = nullptr;
  std::size_t size = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &alpn,
                                &size) == 1 &&
      offers_acme_tls(alpn, size)) {
    SSL_set_ex_data(ssl, acme_tls_index(), ssl);  // any non-null pointer
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

}  // namespace

CertificateService::CertificateService(std::weak_ptr<EdgeState> state, const EdgeState& current)
    : state_(std::move(state)),
      current_(current),
      store_(current.options.state_dir),
      manager_({.orders_per_hour = current.options.acme.orders_per_hour,
                .renew_before = current.options.acme.renew_before,
                .failure_backoff = current.options.acme.failure_backoff}) {
  const auto& options = current.options.acme;
  client_ = std::make_unique<AcmeClient>(
      current.executor,
      net::make_client_tls_context(
          {.ca_file = options.ca_file, .pinned_pem = {}, .insecure = false, .alpn = {}}),
      load_or_create_account(store_),
      AcmeClientSettings{.directory_url = options.directory,
                         .email = options.email,
                         .tls_alpn = uses_tls_alpn(current.options)},
      challenges_);
  for (const auto& host : store_.hosts()) {
    auto pem = store_.load(host);
    if (!pem) continue;
    try {
      remember(host, *pem);
    } catch (const std::exception& e) {
      core::log_event(*current.log, spdlog::level::warn, "acme certificate unusable",
                      {{"host", host}, {"error", e.what()}});
    }
  }
  core::log_event(*current.log, spdlog::level::info, "acme",
                  {{"directory", options.directory},
                   {"stored", ready_.size()},
                   {"orders_per_hour", options.orders_per_hour}});
}

void CertificateService::install(asio::ssl::context& public_tls) {
  SSL_CTX_set_client_hello_cb(public_tls.native_handle(), &on_client_hello, nullptr);
  SSL_CTX_set_tlsext_servername_callback(public_tls.native_handle(), &on_servername);
  SSL_CTX_set_tlsext_servername_arg(public_tls.native_handle(), this);
}

int CertificateService::on_servername(SSL* ssl, int* /*alert*/, void* arg) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;  // no SNI: the fallback certificate
  auto* self = static_cast<CertificateService*>(arg);
  if (SSL_get_ex_data(ssl, acme_tls_index()) != nullptr) {
    // The CA validating TLS-ALPN-01: its challenge certificate, and nothing else (an
    // acme-tls/1 handshake for a host without an order in progress fails on ALPN).
    if (SSL_CTX* challenge = self->challenges_.tls_alpn_context(core::to_lower(name))) {
      SSL_set_SSL_CTX(ssl, challenge);
    }
    return SSL_TLSEXT_ERR_OK;
  }
  if (SSL_CTX* ctx = self->certificate_for(core::to_lower(name)); ctx != nullptr) {
    SSL_set_SSL_CTX(ssl, ctx);
  }
  return SSL_TLSEXT_ERR_OK;
}

SSL_CTX* CertificateService::certificate_for(const std::string& host) {
  const auto now = core::Clock::now();
  auto it = ready_.find(host);
  std::optional<core::Clock::time_point> not_after;
  if (it != ready_.end()) not_after = it->second.not_after;
  if (!stopped_ && manager_.needs_certificate(not_after, now)) consider_order(host, now);
  if (it != ready_.end() && now < it->second.not_after) return it->second.tls->native_handle();
  return nullptr;
}

bool CertificateService::owned(const std::string& host) const {
  if (!is_certificate_host(host)) return false;
  auto name = current_.router.route(host);
  if (!name) return false;
  for (const auto& token : current_.options.authtokens) {
    for (const auto& reserved : token.reserved_names) {
      if (core::to_lower(reserved) == *name) return true;
    }
  }
  auto owner = current_.store->names().owner(*name);
  return owner && owner->has_value();
}

void CertificateService::consider_order(const std::string& host, core::Clock::time_point now) {
  auto it = ready_.find(host);
  std::optional<core::Clock::time_point> not_after;
  if (it != ready_.end()) not_after = it->second.not_after;
  const auto decision = manager_.decide(host, owned(host), not_after, now);
  auto& log = *current_.log;
  switch (decision) {
    case OrderDecision::start: {
      core::log_event(log, spdlog::level::info, "acme order",
                      {{"host", host}, {"reason", not_after ? "renewal" : "first certificate"}});
      auto state = state_.lock();
      if (!state) return;
      asio::co_spawn(current_.executor, run_order(std::move(state), host), asio::detached);
      return;
    }
    case OrderDecision::rate_limited: {
      // Every handshake for the host lands here while the limit holds: warn once an hour each.
      auto& last = rate_limit_warned_[host];
      const bool warn = last == core::Clock::time_point{} || now - last >= std::chrono::hours(1);
      if (warn) last = now;
      core::log_event(log, warn ? spdlog::level::warn : spdlog::level::debug, "acme order refused",
                      {{"host", host},
                       {"reason", "rate_limited"},
                       {"orders_per_hour", manager_.settings().orders_per_hour}});
      return;
    }
    case OrderDecision::not_owned:
      // Any stranger can send any SNI: debug only, and no order.
      core::log_event(log, spdlog::level::debug, "acme order refused",
                      {{"host", host}, {"reason", "not_owned"}});
      return;
    default:
      return;
  }
}

void CertificateService::remember(const std::string& host, const net::CertificatePem& pem) {
  auto not_after = certificate_not_after(pem.cert);
  if (!not_after) throw std::runtime_error("the stored certificate for " + host + " is not PEM");
  ready_[host] = {net::make_server_tls_context(pem, {"http/1.1"}), *not_after};
}

asio::awaitable<void> CertificateService::run_order(std::shared_ptr<EdgeState> state,
                                                    std::string host) {
  auto& self = *state->acme;
  bool ok = false;
  try {
    const std::string key = make_certificate_key();
    std::string chain = co_await self.client_->order_certificate(host, key);
    const net::CertificatePem pem{std::move(chain), key};
    self.store_.save(host, pem);
    self.remember(host, pem);
    ok = true;
    const auto days = std::chrono::duration_cast<std::chrono::hours>(
                          self.ready_.at(host).not_after - core::Clock::now())
                          .count() /
                      24;
    core::log_event(*state->log, spdlog::level::info, "acme certificate issued",
                    {{"host", host}, {"valid_days", days}});
  } catch (const std::exception& e) {
    core::log_event(*state->log, spdlog::level::warn, "acme order failed",
                    {{"host", host}, {"error", e.what()}});
  }
  self.manager_.finished(host, ok, core::Clock::now());
}

void CertificateService::start() {
  renew_timer_ = std::make_unique<asio::steady_timer>(current_.executor);
  asio::co_spawn(current_.executor, renew_loop(state_), asio::detached);
}

void CertificateService::stop() {
  stopped_ = true;
  if (renew_timer_) renew_timer_->cancel();
}

asio::awaitable<void> CertificateService::renew_loop(std::weak_ptr<EdgeState> weak) {
  for (;;) {
    auto state = weak.lock();
    if (!state || !state->acme || state->acme->stopped_) co_return;
    auto& self = *state->acme;
    const auto now = core::Clock::now();
    std::vector<std::string> due;
    for (const auto& [host, ready] : self.ready_) {
      if (self.manager_.needs_certificate(ready.not_after, now)) due.push_back(host);
    }
    for (const auto& host : due) self.consider_order(host, now);
    auto* timer = self.renew_timer_.get();
    timer->expires_after(state->options.acme.renew_check);
    state.reset();  // only the timer waits: the edge may go away meanwhile
    auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

}  // namespace relay::edge::acme

namespace relay::edge {
std::string acme_challenge_response(EdgeState& state, std::string_view target, bool keep_alive) {
  if (!state.acme) return {};
  return state.acme->challenges().response_for(target, keep_alive);
}
}  // namespace relay::edge
