// Linear: `Linear-Signature` = hex HMAC-SHA256(secret, body); the timestamp is not a header but
// `webhookTimestamp` (ms) inside the signed JSON body, which Linear's SDK checks within 60 s.
#include <nlohmann/json.hpp>

#include "verify/hmac_verifier.hpp"
#include "verify/providers/provider_entry.hpp"
#include "verify/verify_detail.hpp"

namespace relay::verify::providers {
namespace {

constexpr HmacSpec kLinear{
    .name = "linear", .header = "Linear-Signature", .event_id_header = "Linear-Delivery"};

class LinearVerifier final : public Verifier {
 public:
  explicit LinearVerifier(const VerifierOptions& options)
      : inner_(kLinear, options.secret, options),
        tolerance_(options.tolerance.value_or(std::chrono::seconds{60})) {}

  Verdict verify(const core::RequestView& request, core::Clock::time_point now) const override {
    auto verdict = inner_.verify(request, now);
    if (!verdict.ok()) return verdict;
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_object() && body.contains("webhookTimestamp") &&
        body["webhookTimestamp"].is_number()) {
      const auto ms = body["webhookTimestamp"].get<std::int64_t>();
      // Round toward the past: 0.5 s old is 0 s old, not 1 s in the future.
      const auto secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
      if (auto bad = detail::check_timestamp(secs, now, tolerance_, "linear")) return *bad;
    }
    return verdict;
  }
  std::optional<core::Headers> sign(const core::RequestView& request,
                                    core::Clock::time_point now) const override {
    return inner_.sign(request, now);
  }

 private:
  detail::HmacVerifier inner_;
  std::chrono::seconds tolerance_;
};

core::Fallible<VerifierPtr> make(std::string_view, const VerifierOptions& options) {
  return std::make_unique<LinearVerifier>(options);
}

}  // namespace

ProviderEntry linear_entry(std::string_view name) {
  auto info = describe_hmac_spec(kLinear);
  info.name = std::string{name};
  info.algorithm += "; webhookTimestamp (ms) in the body checked";
  info.default_tolerance = std::chrono::seconds{60};
  return {std::move(info), &make};
}

}  // namespace relay::verify::providers
