// HubSpot: v3 `X-HubSpot-Signature-v3` = base64 HMAC-SHA256(client secret, method + URL + body +
// X-HubSpot-Request-Timestamp (ms)), rejected beyond 5 min; older apps send
// `X-HubSpot-Signature` with `X-HubSpot-Signature-Version` v1 (hex SHA-256 of secret + body) or
// v2 (hex SHA-256 of secret + method + URL + body), which carry no timestamp.
#include "verify/hmac_verifier.hpp"
#include "verify/providers/provider_entry.hpp"
#include "verify/verify_detail.hpp"

namespace relay::verify::providers {
namespace {

constexpr HmacSpec kV3{.name = "hubspot",
                       .header = "X-HubSpot-Signature-v3",
                       .encoding = Encoding::base64,
                       .timestamp_header = "X-HubSpot-Request-Timestamp",
                       .timestamp_format = TimestampFormat::unix_millis,
                       .signed_template = "{method}{url}{body}{timestamp}"};

class HubSpotVerifier final : public Verifier {
 public:
  explicit HubSpotVerifier(const VerifierOptions& options)
      : v3_(kV3, options.secret, options), secret_(options.secret) {}

  Verdict verify(const core::RequestView& request, core::Clock::time_point now) const override {
    const auto legacy = request.headers.get("X-HubSpot-Signature");
    if (request.headers.contains(kV3.header) || !legacy) return v3_.verify(request, now);
    const auto version = request.headers.get("X-HubSpot-Signature-Version").value_or("v1");
    std::string source = secret_;
    if (version == "v2") {
      source.append(request.method).append(request.url);
    } else if (version != "v1") {
      return detail::reject(VerdictCode::malformed_header, "hubspot",
                            "unsupported X-HubSpot-Signature-Version '" + std::string{version} +
                                "' (v1, v2 or the v3 header)");
    }
    source.append(request.body);
    if (!constant_time_equal(hex_encode(digest(HashAlgorithm::sha256, source)), *legacy)) {
      return detail::reject(VerdictCode::signature_mismatch, "hubspot",
                            "signature mismatch: X-HubSpot-Signature (" + std::string{version} +
                                ") does not match; check the app's client secret");
    }
    return detail::accept("hubspot");
  }
  std::optional<core::Headers> sign(const core::RequestView& request,
                                    core::Clock::time_point now) const override {
    return v3_.sign(request, now);
  }

 private:
  detail::HmacVerifier v3_;
  std::string secret_;
};

core::Fallible<VerifierPtr> make(std::string_view, const VerifierOptions& options) {
  return std::make_unique<HubSpotVerifier>(options);
}

}  // namespace

ProviderEntry hubspot_entry(std::string_view name) {
  auto info = describe_hmac_spec(kV3);
  info.name = std::string{name};
  info.headers += " (or legacy X-HubSpot-Signature v1/v2)";
  return {std::move(info), &make};
}

}  // namespace relay::verify::providers
