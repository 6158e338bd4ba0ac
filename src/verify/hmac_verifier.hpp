#pragma once

#include <memory>
#include <string>

#include "relay/verify/hmac_spec.hpp"
#include "relay/verify/verifier.hpp"

namespace relay::verify::detail {

// The one generic verifier behind every HMAC table row and the configurable `hmac` provider:
// reads the signature header(s) as the spec says, rebuilds the signed string, compares in
// constant time against every signature found, then checks the timestamp window.
class HmacVerifier : public Verifier {
 public:
  // `owner` keeps alive whatever the spec's string_views point into (the generic `hmac`
  // provider's parsed parameters); table rows point into static storage and pass nullptr.
  HmacVerifier(const HmacSpec& spec, std::string key, VerifierOptions options,
               std::shared_ptr<const void> owner = nullptr);

  [[nodiscard]] Verdict verify(const core::RequestView& request,
                               core::Clock::time_point now) const override;
  [[nodiscard]] std::optional<HandshakeResponse> handshake(
      const core::RequestView& request, core::Clock::time_point now) const override;
  [[nodiscard]] std::optional<core::Headers> sign(const core::RequestView& request,
                                                  core::Clock::time_point now) const override;

  [[nodiscard]] const HmacSpec& spec() const { return spec_; }
  [[nodiscard]] std::chrono::seconds tolerance() const { return tolerance_; }
  // HMAC of `message` with this verifier's key and algorithm, encoded as the spec says.
  [[nodiscard]] std::string signature_of(std::string_view message) const;

 private:
  std::string signed_string(const core::RequestView& request, std::string_view timestamp,
                            std::string_view id) const;

  HmacSpec spec_;
  std::string key_;
  VerifierOptions options_;
  std::chrono::seconds tolerance_;
  std::shared_ptr<const void> owner_;
  // The same provider read from its spec's `unbranded` headers; null when it has none.
  std::unique_ptr<const HmacVerifier> unbranded_;
};

// The HMAC key for a configured secret, or the Failure (VerifyErrc::invalid_secret) that tells
// the user which form the secret must take.
core::Fallible<std::string> hmac_key(const HmacSpec& spec, std::string_view secret);

}  // namespace relay::verify::detail
