// Box: base64 HMAC-SHA256 over body bytes + BOX-DELIVERY-TIMESTAMP, in BOX-SIGNATURE-PRIMARY
// and -SECONDARY (one per key, so either key may be configured); Box's SDK refuses any
// BOX-SIGNATURE-ALGORITHM but HmacSHA256 and any version but 1, and deliveries older than 10 min.
#include "verify/hmac_verifier.hpp"
#include "verify/providers/provider_entry.hpp"
#include "verify/verify_detail.hpp"

namespace relay::verify::providers {
namespace {

class BoxVerifier final : public Verifier {
 public:
  BoxVerifier(const HmacSpec& spec, const VerifierOptions& options)
      : inner_(spec, options.secret, options) {}

  Verdict verify(const core::RequestView& request, core::Clock::time_point now) const override {
    const auto algorithm = request.headers.get("BOX-SIGNATURE-ALGORITHM");
    if (algorithm && *algorithm != "HmacSHA256") {
      return detail::reject(VerdictCode::malformed_header, "box",
                            "unsupported BOX-SIGNATURE-ALGORITHM '" + std::string{*algorithm} +
                                "' (only HmacSHA256 is defined)");
    }
    const auto version = request.headers.get("BOX-SIGNATURE-VERSION");
    if (version && *version != "1") {
      return detail::reject(VerdictCode::malformed_header, "box",
                            "unsupported BOX-SIGNATURE-VERSION '" + std::string{*version} + "'");
    }
    return inner_.verify(request, now);
  }
  std::optional<core::Headers> sign(const core::RequestView& request,
                                    core::Clock::time_point now) const override {
    auto headers = inner_.sign(request, now);
    if (headers) {
      headers->add("BOX-SIGNATURE-VERSION", "1");
      headers->add("BOX-SIGNATURE-ALGORITHM", "HmacSHA256");
    }
    return headers;
  }

 private:
  detail::HmacVerifier inner_;
};

core::Fallible<VerifierPtr> make(std::string_view provider, const VerifierOptions& options) {
  return std::make_unique<BoxVerifier>(*find_hmac_spec(provider), options);
}

}  // namespace

ProviderEntry box_entry(std::string_view name) {
  auto info = describe_hmac_spec(*find_hmac_spec(name));
  info.headers += ", BOX-SIGNATURE-SECONDARY, BOX-SIGNATURE-ALGORITHM";
  return {std::move(info), &make};
}

}  // namespace relay::verify::providers
