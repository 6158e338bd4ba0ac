// Twilio and Mailchimp Transactional (Mandrill) sign the URL, not the raw body: base64
// HMAC-SHA1(key, full URL + every POST parameter's name + value, sorted by name). For a JSON
// body Twilio adds `bodySHA256=<hex SHA-256 of the body>` to the URL and signs the URL alone.
#include <algorithm>

#include "verify/providers/provider_entry.hpp"
#include "verify/verify_detail.hpp"

namespace relay::verify::providers {
namespace {

struct FormScheme {
  std::string_view name;
  std::string_view header;
  bool body_sha256_param;  // Twilio's JSON-body variant
};
constexpr FormScheme kTwilio{"twilio", "X-Twilio-Signature", true};
constexpr FormScheme kMandrill{"mailchimp", "X-Mandrill-Signature", false};

bool is_form(const core::RequestView& request) {
  const auto type = request.headers.get("Content-Type");
  return type && core::to_lower(*type).starts_with("application/x-www-form-urlencoded");
}

class FormUrlVerifier final : public Verifier {
 public:
  FormUrlVerifier(const FormScheme& scheme, std::string secret)
      : scheme_(scheme), secret_(std::move(secret)) {}

  Verdict verify(const core::RequestView& request, core::Clock::time_point) const override {
    const auto given = request.headers.get(scheme_.header);
    if (!given) {
      return detail::reject(VerdictCode::missing_header, scheme_.name,
                            "missing signature header " + std::string{scheme_.header});
    }
    if (!base64_decode(*given)) {
      return detail::reject(VerdictCode::malformed_header, scheme_.name,
                            "malformed " + std::string{scheme_.header} + ": not base64");
    }
    if (scheme_.body_sha256_param && !is_form(request)) {
      if (const auto hash = detail::query_param(request.url, "bodySHA256")) {
        if (!constant_time_equal(hex_encode(digest(HashAlgorithm::sha256, request.body)), *hash)) {
          return detail::reject(
              VerdictCode::signature_mismatch, scheme_.name,
              "signature mismatch: the body does not match bodySHA256 in the URL");
        }
      }
    }
    if (!constant_time_equal(expected(request), *given)) {
      return detail::reject(VerdictCode::signature_mismatch, scheme_.name,
                            "signature mismatch: " + std::string{scheme_.header} +
                                " does not match the URL and parameters; check the secret and "
                                "that --url is the exact URL configured at the provider");
    }
    return detail::accept(scheme_.name);
  }

  std::optional<core::Headers> sign(const core::RequestView& request,
                                    core::Clock::time_point) const override {
    core::Headers out;
    out.add(std::string{scheme_.header}, expected(request));
    return out;
  }

 private:
  std::string expected(const core::RequestView& request) const {
    std::string source{request.url};
    if (is_form(request) || !scheme_.body_sha256_param) {
      auto params = detail::form_params(request.body);
      std::stable_sort(params.begin(), params.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [k, v] : params) source.append(k).append(v);
    }
    return base64_encode(hmac(HashAlgorithm::sha1, secret_, source));
  }

  const FormScheme& scheme_;
  std::string secret_;
};

template <const FormScheme& Scheme>
core::Fallible<VerifierPtr> make(std::string_view, const VerifierOptions& options) {
  return std::make_unique<FormUrlVerifier>(Scheme, options.secret);
}

ProviderInfo info(const FormScheme& s, std::string_view name) {
  return {std::string{name},
          std::string{s.header},
          "HMAC-SHA1(URL + sorted form params name+value) base64",
          "",
          std::chrono::seconds{0},
          true};
}

}  // namespace

ProviderEntry twilio_entry(std::string_view name) { return {info(kTwilio, name), &make<kTwilio>}; }
ProviderEntry mailchimp_entry(std::string_view name) {
  return {info(kMandrill, name), &make<kMandrill>};
}

}  // namespace relay::verify::providers
