#pragma once

#include <cstddef>

#include "agent/pipeline.hpp"
#include "relay/agent/agent_options.hpp"
#include "relay/verify/verifier.hpp"

namespace relay::agent {

// Provider handshakes and signature verification. The body must be hashed before delivery,
// so it is buffered (up to `max_body` → 413). A rejected request never reaches the app unless
// `enforce` is off, in which case the verdict is logged and the request delivered.
class VerifyStep final : public Step {
 public:
  VerifyStep(verify::VerifierPtr verifier, WebhookVerification options, std::size_t max_body)
      : verifier_(std::move(verifier)), options_(std::move(options)), max_body_(max_body) {}

  boost::asio::awaitable<Outcome> run(Exchange& exchange) override;

 private:
  verify::VerifierPtr verifier_;
  WebhookVerification options_;
  std::size_t max_body_;
};

}  // namespace relay::agent
