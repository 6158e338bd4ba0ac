#include "agent/verifier_factory.hpp"

#include <stdexcept>

#include "relay/verify/registry.hpp"

namespace relay::agent {

verify::VerifierPtr make_verifier(const WebhookVerification& options) {
  verify::VerifierOptions vo;
  vo.secret = options.secret;
  vo.tolerance = options.tolerance;
  vo.params = options.params;
  auto verifier = verify::builtin_registry().create(options.provider, vo);
  if (!verifier) throw std::runtime_error(verifier.error().message);
  return std::move(*verifier);
}

}  // namespace relay::agent
