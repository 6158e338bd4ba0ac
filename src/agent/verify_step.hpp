#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <unordered_map>

#include "agent/pipeline.hpp"
#include "relay/agent/agent_options.hpp"
#include "relay/verify/verifier.hpp"

namespace relay::agent {

// Provider handshakes and signature verification. The body must be hashed before delivery,
// so it is buffered (up to `max_body` → 413). A rejected request never reaches the app unless
// `enforce` is off, in which case the verdict is logged and the request delivered. A repeated
// provider event id (TokPortal-Event-Id, svix-id...) the app already got is delivered and
// logged as a duplicate. A queued delivery (relay-delivery-id) is verified at its received-at
// time, and re-signed at the current time when the tunnel has buffer_resign.
class VerifyStep final : public Step {
 public:
  VerifyStep(verify::VerifierPtr verifier, WebhookVerification options, std::size_t max_body)
      : verifier_(std::move(verifier)), options_(std::move(options)), max_body_(max_body) {}

  boost::asio::awaitable<Outcome> run(Exchange& exchange) override;
  void finished(Exchange& exchange) override;

 private:
  boost::asio::awaitable<void> reject(Exchange& exchange, int status, std::string_view code,
                                      const verify::Verdict& verdict);
  // True when the app got `event_id` among the last kRecentEventIds requests, other than as
  // queued delivery `delivery_id` ("" a live request).
  [[nodiscard]] bool delivered_before(const std::string& event_id,
                                      const std::string& delivery_id) const;
  // buffer_resign: fresh signature headers for the app, signed now.
  void resign(Exchange& exchange, const core::RequestView& view);

  verify::VerifierPtr verifier_;
  WebhookVerification options_;
  std::size_t max_body_;
  // Providers redeliver within minutes to hours: the last few thousand ids are plenty.
  static constexpr std::size_t kRecentEventIds = 4096;
  std::unordered_map<std::string, std::string> recent_;  // event id → delivery id ("" live)
  std::deque<std::string> recent_ids_;
};

}  // namespace relay::agent
