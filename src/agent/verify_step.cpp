#include "agent/verify_step.hpp"

#include <nlohmann/json.hpp>

#include "agent/tunnel_runtime.hpp"
#include "relay/core/clock.hpp"
#include "relay/core/error_page.hpp"
#include "relay/core/log.hpp"

namespace relay::agent {

namespace asio = boost::asio;

namespace {

const std::shared_ptr<spdlog::logger>& verify_log() {
  static const auto log = core::logger("relay.agent.verify");
  return log;
}

}  // namespace

asio::awaitable<Step::Outcome> VerifyStep::run(Exchange& x) {
  core::error_code ec;
  if (!co_await buffer_body(x, max_body_, ec)) {
    if (ec) {
      x.detail = "the caller went away: " + ec.message();
      co_return Outcome::answered;
    }
    // Not verifiable, so not deliverable even with enforce off: relay cannot vouch for it and
    // the body is already partly consumed.
    verify::Verdict verdict{verify::VerdictCode::body_too_large, options_.provider,
                            "body too large to verify: over the " +
                                std::to_string(max_body_ / 1024) +
                                " KiB relay buffers to check a signature; send smaller events or "
                                "use a tunnel without --verify-webhook",
                            std::nullopt};
    co_await reject(x, 413, core::error_codes::body_too_large, verdict);
    co_return Outcome::answered;
  }
  const std::string url = x.url();
  const core::RequestView view{x.method, url, x.headers(), x.body};
  const auto now = core::Clock::now();

  if (auto reply = verifier_->handshake(view, now)) {
    x.detail = "answered the " + options_.provider + " handshake";
    co_await respond_with(x, reply->status, std::move(reply->headers), std::move(reply->body));
    co_return Outcome::answered;
  }

  auto verdict = verifier_->verify(view, now);
  if (verdict.provider.empty()) verdict.provider = options_.provider;
  x.verdict = verdict;  // for the inspector's capture
  if (verdict.ok()) {
    // A replay from the inspector repeats an id on purpose: not a provider redelivery.
    if (verdict.event_id && x.replay_of.empty() && seen_before(*verdict.event_id)) {
      x.duplicate = true;  // the capture shows it too
      core::log_event(*verify_log(), spdlog::level::warn, "webhook duplicate delivery (delivered)",
                      {{"tunnel", x.tunnel->options.name},
                       {"provider", verdict.provider},
                       {"event_id", *verdict.event_id},
                       {"duplicate", "true"},
                       {"req", x.request_id}});
    }
    co_return Outcome::next;
  }

  if (!options_.enforce) {
    core::log_event(*verify_log(), spdlog::level::warn,
                    "webhook signature invalid (delivered: enforce=false)",
                    {{"tunnel", x.tunnel->options.name},
                     {"provider", verdict.provider},
                     {"verdict", std::string(verify::to_string(verdict.code))},
                     {"reason", verdict.reason},
                     {"req", x.request_id}});
    co_return Outcome::next;
  }
  co_await reject(x, 403, core::error_codes::signature_invalid, verdict);
  co_return Outcome::answered;
}

// Always JSON, whatever the Accept header: the caller is a provider's webhook sender, and its
// delivery log shows this body to the operator.
asio::awaitable<void> VerifyStep::reject(Exchange& x, int status, std::string_view code,
                                         const verify::Verdict& verdict) {
  core::log_event(*verify_log(), spdlog::level::warn, "webhook signature rejected",
                  {{"tunnel", x.tunnel->options.name},
                   {"provider", verdict.provider},
                   {"verdict", std::string(verify::to_string(verdict.code))},
                   {"reason", verdict.reason},
                   {"status", std::to_string(status)},
                   {"req", x.request_id}});
  x.verdict = verdict;
  x.relay_code = code;
  x.detail = verdict.reason;
  const nlohmann::json body = {
      {"error", {{"code", code}, {"provider", verdict.provider}, {"reason", verdict.reason}}}};
  core::Headers headers{{"content-type", "application/json"},
                        {std::string(core::kRelayErrorCodeHeader), std::string(code)},
                        {"cache-control", "no-store"}};
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  co_await respond_with(x, status, std::move(headers), std::move(text));
}

bool VerifyStep::seen_before(const std::string& event_id) {
  if (recent_set_.contains(event_id)) return true;
  recent_set_.insert(event_id);
  recent_ids_.push_back(event_id);
  if (recent_ids_.size() > kRecentEventIds) {
    recent_set_.erase(recent_ids_.front());
    recent_ids_.pop_front();
  }
  return false;
}

}  // namespace relay::agent
