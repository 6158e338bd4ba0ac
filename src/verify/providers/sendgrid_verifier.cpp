// SendGrid Event Webhook: `X-Twilio-Email-Event-Webhook-Signature` = base64 DER ECDSA P-256 /
// SHA-256 signature of X-Twilio-Email-Event-Webhook-Timestamp + raw body, checked with the
// verification key (base64 SubjectPublicKeyInfo, as the console shows it; PEM accepted too).
// SendGrid sets no tolerance; relay applies one so a captured delivery cannot be replayed later.
#include "relay/verify/error.hpp"
#include "verify/providers/provider_entry.hpp"
#include "verify/verify_detail.hpp"

namespace relay::verify::providers {
namespace {

constexpr std::string_view kSig = "X-Twilio-Email-Event-Webhook-Signature";
constexpr std::string_view kTs = "X-Twilio-Email-Event-Webhook-Timestamp";

class SendGridVerifier final : public Verifier {
 public:
  SendGridVerifier(std::string spki, const VerifierOptions& options)
      : spki_(std::move(spki)), tolerance_(options.tolerance.value_or(std::chrono::seconds{300})) {}

  Verdict verify(const core::RequestView& request, core::Clock::time_point now) const override {
    const auto sig = request.headers.get(kSig);
    if (!sig) {
      return detail::reject(VerdictCode::missing_header, "sendgrid",
                            "missing signature header " + std::string{kSig});
    }
    const auto ts = request.headers.get(kTs);
    if (!ts) {
      return detail::reject(VerdictCode::missing_header, "sendgrid",
                            "missing timestamp header " + std::string{kTs});
    }
    const auto der = base64_decode(*sig);
    const auto unix_ts = detail::parse_timestamp(*ts, TimestampFormat::unix_seconds);
    if (!der || !unix_ts) {
      return detail::reject(VerdictCode::malformed_header, "sendgrid",
                            "malformed " + std::string{kSig} + ": expected a base64 signature");
    }
    std::string message{*ts};
    message.append(request.body);
    if (!ecdsa_p256_verify_der(spki_, message, *der)) {
      return detail::reject(VerdictCode::signature_mismatch, "sendgrid",
                            "signature mismatch: the ECDSA signature does not verify with the "
                            "configured verification key");
    }
    if (auto bad = detail::check_timestamp(*unix_ts, now, tolerance_, "sendgrid")) return *bad;
    return detail::accept("sendgrid");
  }
  std::optional<core::Headers> sign(const core::RequestView&,
                                    core::Clock::time_point) const override {
    return std::nullopt;
  }

 private:
  std::string spki_;
  std::chrono::seconds tolerance_;
};

core::Fallible<VerifierPtr> make(std::string_view, const VerifierOptions& options) {
  std::string text;
  for (const char c : options.secret) {
    if (c != '\n' && c != '\r' && c != ' ') text += c;
  }
  if (const auto begin = text.find("-----BEGINPUBLICKEY-----"); begin != std::string::npos) {
    text = text.substr(begin + 24);
    text = text.substr(0, text.find("-----"));
  }
  auto der = base64_decode(text);
  if (!der || !is_ec_p256_public_key(*der)) {
    return core::Failure{
        .code = VerifyErrc::invalid_secret,
        .message =
            "sendgrid: the secret must be the Event Webhook verification key (base64 public key "
            "from Settings → Mail Settings → Event Webhook → Signature Verification)"};
  }
  return std::make_unique<SendGridVerifier>(std::move(*der), options);
}

}  // namespace

ProviderEntry sendgrid_entry(std::string_view name) {
  return {{std::string{name}, std::string{kSig} + ", " + std::string{kTs},
           "ECDSA P-256 SHA-256(timestamp + body), base64 DER; secret = public key", "",
           std::chrono::seconds{300}, true},
          &make};
}

}  // namespace relay::verify::providers
