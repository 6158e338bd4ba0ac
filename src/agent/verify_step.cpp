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
  // A queued delivery is judged at the time the edge received it: a provider's tolerance (often
  // 5 minutes) would otherwise reject every webhook that waited in the queue.
  const auto now = x.delivery ? x.delivery->received_at : core::Clock::now();

  if (auto reply = verifier_->handshake(view, now)) {
    x.detail = "answered the " + options_.provider + " handshake";
    co_await respond_with(x, reply->status, std::move(reply->headers), std::move(reply->body));
    co_return Outcome::answered;
  }

  auto verdict = verifier_->verify(view, now);
  if (verdict.provider.empty()) verdict.provider = options_.provider;
  x.verdict = verdict;  // for the inspector's capture
  if (verdict.ok()) {
    // A replay from the inspector repeats an id on purpose: not a provider redelivery; nor is
    // the edge's redelivery of one queued delivery (same relay-delivery-id).
    if (verdict.event_id && x.replay_of.empty() &&
        delivered_before(*verdict.event_id, x.delivery ? x.delivery->id : std::string())) {
      x.duplicate = true;  // the capture shows it too
      core::log_event(*verify_log(), spdlog::level::warn, "webhook duplicate delivery (delivered)",
                      {{"tunnel", x.tunnel->options.name},
                       {"provider", verdict.provider},
                       {"event_id", *verdict.event_id},
                       {"duplicate", "true"},
                       {"req", x.request_id}});
    }
    if (x.delivery && x.tunnel->options.buffer_resign) resign(x, view);
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
                   {"status", status},
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

void VerifyStep::resign(Exchange& x, const core::RequestView& view) {
  auto signature = verifier_->sign(view, core::Clock::now());
  if (!signature) return;  // checked at start-up (config::resign_problem): cannot happen
  x.resigned_headers = replace_signature_headers(x.headers(), *signature);
}

bool VerifyStep::delivered_before(const std::string& event_id,
                                  const std::string& delivery_id) const {
  auto it = recent_.find(event_id);
  return it != recent_.end() && (delivery_id.empty() || it->second != delivery_id);
}

void VerifyStep::finished(Exchange& x) {
  // Remembered once the app got the request (it answered): a request the app never saw (refused,
  // timed out) that comes again, queued, is not a duplicate for the app.
  if (!x.verdict || !x.verdict->ok() || !x.verdict->event_id || !x.replay_of.empty()) return;
  if (x.status == 0 || !x.relay_code.empty()) return;
  const std::string& event_id = *x.verdict->event_id;
  auto [it, inserted] = recent_.try_emplace(event_id, x.delivery ? x.delivery->id : "");
  if (!inserted) {
    if (x.delivery) it->second = x.delivery->id;
    return;
  }
  recent_ids_.push_back(event_id);
  if (recent_ids_.size() > kRecentEventIds) {
    recent_.erase(recent_ids_.front());
    recent_ids_.pop_front();
  }
}

}  // namespace relay::agent
