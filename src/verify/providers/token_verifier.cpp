// Shared-token schemes: the provider sends the configured secret itself, compared exactly and in
// constant time. The body is not covered (a changed body still verifies): GitLab's
// X-Gitlab-Token and Okta event hooks' Authorization header.
#include "verify/handshakes.hpp"
#include "verify/providers/provider_entry.hpp"
#include "verify/verify_detail.hpp"

namespace relay::verify::providers {
namespace {

struct TokenScheme {
  std::string_view name;
  std::string_view header;
  std::string_view event_id_header;
  Handshake handshake;
};
constexpr TokenScheme kGitLab{"gitlab", "X-Gitlab-Token", "X-Gitlab-Event-UUID", Handshake::none};
constexpr TokenScheme kOkta{"okta", "Authorization", "", Handshake::okta_verification};

class TokenVerifier final : public Verifier {
 public:
  TokenVerifier(const TokenScheme& scheme, VerifierOptions options)
      : scheme_(scheme), options_(std::move(options)) {}

  Verdict verify(const core::RequestView& request, core::Clock::time_point) const override {
    const auto given = request.headers.get(scheme_.header);
    if (!given) {
      return detail::reject(VerdictCode::missing_header, scheme_.name,
                            "missing token header " + std::string{scheme_.header});
    }
    if (!constant_time_equal(*given, options_.secret)) {
      return detail::reject(
          VerdictCode::signature_mismatch, scheme_.name,
          "token mismatch: " + std::string{scheme_.header} + " is not the configured secret token");
    }
    std::optional<std::string> id;
    if (!scheme_.event_id_header.empty()) {
      if (const auto v = request.headers.get(scheme_.event_id_header)) id = std::string{*v};
    }
    return detail::accept(scheme_.name, std::move(id));
  }
  std::optional<HandshakeResponse> handshake(const core::RequestView& request,
                                             core::Clock::time_point now) const override {
    return detail::answer_handshake(scheme_.handshake, *this, request, now, "", options_);
  }
  std::optional<core::Headers> sign(const core::RequestView&,
                                    core::Clock::time_point) const override {
    core::Headers out;
    out.add(std::string{scheme_.header}, options_.secret);
    return out;
  }

 private:
  const TokenScheme& scheme_;
  VerifierOptions options_;
};

template <const TokenScheme& Scheme>
core::Fallible<VerifierPtr> make(std::string_view, const VerifierOptions& options) {
  return std::make_unique<TokenVerifier>(Scheme, options);
}

ProviderInfo info(const TokenScheme& s, std::string_view name) {
  return {std::string{name},
          std::string{s.header},
          "shared token, exact comparison",
          std::string{detail::describe(s.handshake)},
          std::chrono::seconds{0},
          true};
}

}  // namespace

ProviderEntry gitlab_entry(std::string_view name) { return {info(kGitLab, name), &make<kGitLab>}; }
ProviderEntry okta_entry(std::string_view name) { return {info(kOkta, name), &make<kOkta>}; }

}  // namespace relay::verify::providers
