// Discord interactions: `X-Signature-Ed25519` = hex Ed25519 signature of X-Signature-Timestamp +
// raw body, checked with the application's public key (hex, from the Developer Portal). The
// secret is a public key, so relay cannot sign for Discord. PING interactions are answered.
#include "relay/verify/error.hpp"
#include "verify/handshakes.hpp"
#include "verify/providers/provider_entry.hpp"
#include "verify/verify_detail.hpp"

namespace relay::verify::providers {
namespace {

class DiscordVerifier final : public Verifier {
 public:
  DiscordVerifier(std::string key, const VerifierOptions& options)
      : key_(std::move(key)),
        options_(options),
        tolerance_(options.tolerance.value_or(std::chrono::seconds{300})) {}

  Verdict verify(const core::RequestView& request, core::Clock::time_point now) const override {
    const auto sig = request.headers.get("X-Signature-Ed25519");
    if (!sig) {
      return detail::reject(VerdictCode::missing_header, "discord",
                            "missing signature header X-Signature-Ed25519");
    }
    const auto ts = request.headers.get("X-Signature-Timestamp");
    if (!ts) {
      return detail::reject(VerdictCode::missing_header, "discord",
                            "missing timestamp header X-Signature-Timestamp");
    }
    const auto raw = hex_decode(*sig);
    const auto unix_ts = detail::parse_timestamp(*ts, TimestampFormat::unix_seconds);
    if (!raw || raw->size() != 64 || !unix_ts) {
      return detail::reject(VerdictCode::malformed_header, "discord",
                            "malformed X-Signature-Ed25519/X-Signature-Timestamp: expected 128 hex "
                            "digits and a unix timestamp");
    }
    std::string message{*ts};
    message.append(request.body);
    if (!ed25519_verify(key_, message, *raw)) {
      return detail::reject(VerdictCode::signature_mismatch, "discord",
                            "signature mismatch: the Ed25519 signature does not verify with the "
                            "application's public key");
    }
    if (auto bad = detail::check_timestamp(*unix_ts, now, tolerance_, "discord")) return *bad;
    return detail::accept("discord");
  }
  std::optional<HandshakeResponse> handshake(const core::RequestView& request,
                                             core::Clock::time_point now) const override {
    return detail::answer_handshake(Handshake::discord_ping, *this, request, now, "", options_);
  }
  std::optional<core::Headers> sign(const core::RequestView&,
                                    core::Clock::time_point) const override {
    return std::nullopt;
  }

 private:
  std::string key_;
  VerifierOptions options_;
  std::chrono::seconds tolerance_;
};

core::Fallible<VerifierPtr> make(std::string_view, const VerifierOptions& options) {
  auto key = hex_decode(options.secret);
  if (!key || key->size() != 32) {
    return core::Failure{
        .code = VerifyErrc::invalid_secret,
        .message =
            "discord: the secret must be the application's PUBLIC KEY (64 hex digits, "
            "Developer Portal → General Information)"};
  }
  return std::make_unique<DiscordVerifier>(std::move(*key), options);
}

}  // namespace

ProviderEntry discord_entry(std::string_view name) {
  return {{std::string{name}, "X-Signature-Ed25519, X-Signature-Timestamp",
           "Ed25519(timestamp + body), hex; secret = public key",
           std::string{detail::describe(Handshake::discord_ping)}, std::chrono::seconds{300}, true},
          &make};
}

}  // namespace relay::verify::providers
