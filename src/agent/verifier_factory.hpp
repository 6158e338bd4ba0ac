#pragma once

#include "relay/agent/agent_options.hpp"
#include "relay/verify/verifier.hpp"

namespace relay::agent {

// The verifier a tunnel's --verify-webhook asks for. Throws std::runtime_error with the
// registry's message (an unknown provider lists the known ones; a missing secret names the flag).
verify::VerifierPtr make_verifier(const WebhookVerification& options);

}  // namespace relay::agent
