// TokPortal: `TokPortal-Signature: t=<unix>,v1=<hex>` = HMAC-SHA256(secret, "<t>.<body>") with
// the endpoint's signing secret used verbatim (whsec_ included), as TokPortal's SDK does; 5 min
// both ways. Integration guides describe an older form, `X-TokPortal-Signature` = hex
// HMAC-SHA256 of the raw body, accepted only when it is the only signature header present.
// TokPortal-Event-Id is the idempotency key (reported in the Verdict for duplicate detection).
#include "verify/hmac_verifier.hpp"
#include "verify/providers/provider_entry.hpp"
#include "verify/verify_detail.hpp"

namespace relay::verify::providers {
namespace {

constexpr HmacSpec kCurrent{.name = "tokportal",
                            .header = "TokPortal-Signature",
                            .list = SignatureList::key_value,
                            .kv_timestamp = "t",
                            .kv_signature = "v1",
                            .timestamp_format = TimestampFormat::unix_seconds,
                            .signed_template = "{timestamp}.{body}",
                            .tolerance = std::chrono::seconds{300},
                            .event_id_header = "TokPortal-Event-Id",
                            .handshake = Handshake::tokportal_challenge};
constexpr HmacSpec kLegacy{.name = "tokportal",
                           .header = "X-TokPortal-Signature",
                           .event_id_header = "TokPortal-Event-Id"};

class TokPortalVerifier final : public Verifier {
 public:
  explicit TokPortalVerifier(const VerifierOptions& options)
      : current_(kCurrent, options.secret, options), legacy_(kLegacy, options.secret, options) {}

  Verdict verify(const core::RequestView& request, core::Clock::time_point now) const override {
    if (!request.headers.contains(kCurrent.header) && request.headers.contains(kLegacy.header)) {
      return legacy_.verify(request, now);
    }
    return current_.verify(request, now);
  }
  std::optional<HandshakeResponse> handshake(const core::RequestView& request,
                                             core::Clock::time_point now) const override {
    return current_.handshake(request, now);
  }
  std::optional<core::Headers> sign(const core::RequestView& request,
                                    core::Clock::time_point now) const override {
    return current_.sign(request, now);
  }

 private:
  detail::HmacVerifier current_;
  detail::HmacVerifier legacy_;
};

core::Fallible<VerifierPtr> make(std::string_view, const VerifierOptions& options) {
  return std::make_unique<TokPortalVerifier>(options);
}

}  // namespace

ProviderEntry tokportal_entry(std::string_view name) {
  auto info = describe_hmac_spec(kCurrent);
  info.name = std::string{name};
  info.headers += " (or X-TokPortal-Signature alone), TokPortal-Event-Id";
  return {std::move(info), &make};
}

}  // namespace relay::verify::providers
