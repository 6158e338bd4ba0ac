#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "relay/core/clock.hpp"
#include "relay/core/failure.hpp"
#include "relay/core/headers.hpp"
#include "relay/core/request_view.hpp"
#include "relay/verify/verdict.hpp"

namespace relay::verify {

struct VerifierOptions {
  // The secret exactly as the operator configured it, already resolved from env:/file: (see
  // secret.hpp). Provider formats such as `whsec_<base64>` are decoded by the provider.
  std::string secret;
  // Accepted clock skew both ways; the provider's default when unset.
  std::optional<std::chrono::seconds> tolerance;
  // Provider-specific settings. Generic `hmac`: header, algorithm (sha1|sha256|sha512),
  // encoding (hex|base64), prefix, template ({body} {timestamp} {url} {method}),
  // timestamp_header.
  std::map<std::string, std::string> params;
};

// A reply relay gives itself to a provider's challenge request.
struct HandshakeResponse {
  int status = 200;
  core::Headers headers;
  std::string body;
};

// One provider's signature scheme. Pure: a function of the request, the options and `now`.
// Instances are immutable after creation, so one may be shared by any number of requests.
class Verifier {
 public:
  virtual ~Verifier() = default;

  // Checks the signature over the raw, fully buffered body.
  [[nodiscard]] virtual Verdict verify(const core::RequestView& request,
                                       core::Clock::time_point now) const = 0;

  // A provider challenge relay answers itself (Zoom endpoint.url_validation, TokPortal
  // GET ?challenge=, Meta hub.challenge, Twitter CRC, Slack url_verification...): nullopt when
  // `request` is not one. Signed challenges (Zoom, Slack, Discord) are answered only when their
  // signature verifies at `now`: answering an unsigned one would hand out an HMAC oracle. A
  // nullopt for those falls through to verify(), which rejects the request.
  [[nodiscard]] virtual std::optional<HandshakeResponse> handshake(
      const core::RequestView& /*request*/, core::Clock::time_point /*now*/) const {
    return std::nullopt;
  }
  // Same, at the current time.
  [[nodiscard]] std::optional<HandshakeResponse> handshake(const core::RequestView& request) const {
    return handshake(request, core::Clock::now());
  }

  // The signature headers the provider would send for `request` at `now` (for `relay webhook
  // sign/send` and the inspector's re-sign-and-replay); nullopt when the provider cannot be
  // signed locally (asymmetric providers whose secret is a public key).
  [[nodiscard]] virtual std::optional<core::Headers> sign(const core::RequestView& request,
                                                          core::Clock::time_point now) const = 0;
};

using VerifierPtr = std::unique_ptr<Verifier>;
// `provider` is the registered name (one factory serves every row of the HMAC table). A failure's
// message says what is wrong and what to pass instead; its code is a VerifyErrc.
using VerifierFactory = core::Fallible<VerifierPtr> (*)(std::string_view provider,
                                                        const VerifierOptions& options);

}  // namespace relay::verify
