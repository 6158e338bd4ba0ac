#pragma once

#include <optional>
#include <string_view>

#include "relay/verify/hmac_spec.hpp"
#include "relay/verify/verifier.hpp"

namespace relay::verify::detail {

// Answers provider challenges. `self` verifies the signed ones (Zoom, Slack, Discord) before any
// answer is given; `key` is the HMAC key for challenges that need one (Zoom, Twitter CRC).
std::optional<HandshakeResponse> answer_handshake(Handshake kind, const Verifier& self,
                                                  const core::RequestView& request,
                                                  core::Clock::time_point now, std::string_view key,
                                                  const VerifierOptions& options);

// Short description for `relay providers` ("" for none).
std::string_view describe(Handshake kind);

HandshakeResponse json_response(int status, std::string body);
HandshakeResponse text_response(int status, std::string body);

}  // namespace relay::verify::detail
