#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <unordered_set>

#include "agent/pipeline.hpp"
#include "relay/agent/agent_options.hpp"
#include "relay/verify/verifier.hpp"

namespace relay::agent {

// Provider handshakes and signature verification. The body must be hashed before delivery,
// so it is buffered (up to `max_body` → 413). A rejected request never reaches the app unless
// `enforce` is off, in which case the verdict is logged and the request delivered. A repeated
// provider event id (TokPortal-Event-Id, svix-id...) is delivered and logged as a duplicate.
class VerifyStep final : public Step {
 public:
  VerifyStep(verify::VerifierPtr verifier, WebhookVerification options, std::size_t max_body)
      : verifier_(std::move(verifier)), options_(std::move(options)), max_body_(max_body) {}

  boost::asio::awaitable<Outcome> run(Exchange& exchange) override;

 private:
  boost::asio::awaitable<void> reject(Exchange& exchange, int status, std::string_view code,
                                      const verify::Verdict& verdict);
  // Remembers `event_id`; true when it was seen among the last kRecentEventIds deliveries.
  bool seen_before(const std::string& event_id);

  verify::VerifierPtr verifier_;
  WebhookVerification options_;
  std::size_t max_body_;
  // Providers redeliver within minutes to hours: the last few thousand ids are plenty.
  static constexpr std::size_t kRecentEventIds = 4096;
  std::unordered_set<std::string> recent_set_;
  std::deque<std::string> recent_ids_;
};

}  // namespace relay::agent
