#include "agent/verify_step.hpp"

#include <nlohmann/json.hpp>

#include "agent/tunnel_runtime.hpp"
#include "relay/core/clock.hpp"
#include "relay/core/error_page.hpp"
#include "relay/core/log.hpp"

namespace relay::agent {

namespace asio = boost::asio;

asio::awaitable<Step::Outcome> VerifyStep::run(Exchange& x) {
  static const auto log = core::logger("relay.agent.verify");
  core::error_code ec;
  if (!co_await buffer_body(x, max_body_, ec)) {
    if (ec) {
      x.detail = "the caller went away: " + ec.message();
      co_return Outcome::answered;
    }
    {
      std::string message = "The request body is larger than the " +
                            std::to_string(max_body_ / 1024) +
                            " KiB that relay buffers to verify a webhook signature.";
      co_await respond_error(x, 413, core::error_codes::body_too_large, std::move(message));
    }
    co_return Outcome::answered;
  }
  const std::string url = x.url();
  core::RequestView view{x.method, url, x.headers(), x.body};

  if (auto reply = verifier_->handshake(view)) {
    x.detail = "answered the " + options_.provider + " handshake";
    co_await respond_with(x, reply->status, std::move(reply->headers), std::move(reply->body));
    co_return Outcome::answered;
  }

  auto verdict = verifier_->verify(view, core::Clock::now());
  if (verdict.ok()) co_return Outcome::next;

  const auto provider = verdict.provider.empty() ? options_.provider : verdict.provider;
  core::log_event(*log, spdlog::level::warn,
                  options_.enforce ? "webhook signature rejected"
                                   : "webhook signature invalid (delivered: enforce=false)",
                  {{"tunnel", x.tunnel->options.name},
                   {"provider", provider},
                   {"verdict", std::string(verify::to_string(verdict.code))},
                   {"reason", verdict.reason},
                   {"req", x.request_id}});
  if (!options_.enforce) co_return Outcome::next;

  nlohmann::json body = {{"error",
                          {{"code", core::error_codes::signature_invalid},
                           {"provider", provider},
                           {"reason", verdict.reason}}}};
  x.relay_code = core::error_codes::signature_invalid;
  x.detail = verdict.reason;
  core::Headers headers{
      {"content-type", "application/json"},
      {std::string(core::kRelayErrorCodeHeader), std::string(core::error_codes::signature_invalid)},
      {"cache-control", "no-store"}};
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  co_await respond_with(x, 403, std::move(headers), std::move(text));
  co_return Outcome::answered;
}

}  // namespace relay::agent
