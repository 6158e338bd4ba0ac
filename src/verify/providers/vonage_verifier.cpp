// Vonage signed webhooks: `Authorization: Bearer <JWT>` signed HS256 with the account's
// signature secret; the `payload_hash` claim is the hex SHA-256 of the body; `iat` is checked
// against the tolerance.
#include <nlohmann/json.hpp>

#include "verify/jwt.hpp"
#include "verify/providers/provider_entry.hpp"
#include "verify/verify_detail.hpp"

namespace relay::verify::providers {
namespace {

class VonageVerifier final : public Verifier {
 public:
  explicit VonageVerifier(const VerifierOptions& options)
      : secret_(options.secret),
        tolerance_(options.tolerance.value_or(std::chrono::seconds{300})) {}

  Verdict verify(const core::RequestView& request, core::Clock::time_point now) const override {
    const auto auth = request.headers.get("Authorization");
    if (!auth) {
      return detail::reject(VerdictCode::missing_header, "vonage",
                            "missing signature header Authorization");
    }
    auto token = *auth;
    if (!token.starts_with("Bearer ")) {
      return detail::reject(VerdictCode::malformed_header, "vonage",
                            "malformed Authorization: expected 'Bearer <JWT>'");
    }
    token.remove_prefix(7);
    const auto jwt = detail::parse_jwt(token);
    if (!jwt || jwt->header.value("alg", "") != "HS256") {
      return detail::reject(VerdictCode::malformed_header, "vonage",
                            "malformed Authorization: not an HS256 JWT");
    }
    if (!constant_time_equal(hmac(HashAlgorithm::sha256, secret_, jwt->signing_input),
                             jwt->signature)) {
      return detail::reject(VerdictCode::signature_mismatch, "vonage",
                            "signature mismatch: the JWT is not signed with the configured "
                            "signature secret");
    }
    if (jwt->claims.contains("payload_hash")) {
      const auto hash = jwt->claims["payload_hash"].is_string()
                            ? jwt->claims["payload_hash"].get<std::string>()
                            : std::string{};
      if (!constant_time_equal(hex_encode(digest(HashAlgorithm::sha256, request.body)), hash)) {
        return detail::reject(VerdictCode::signature_mismatch, "vonage",
                              "signature mismatch: payload_hash does not match the body");
      }
    }
    if (jwt->claims.contains("iat") && jwt->claims["iat"].is_number()) {
      if (auto bad = detail::check_timestamp(jwt->claims["iat"].get<std::int64_t>(), now,
                                             tolerance_, "vonage")) {
        return *bad;
      }
    }
    std::optional<std::string> id;
    if (jwt->claims.contains("jti") && jwt->claims["jti"].is_string()) {
      id = jwt->claims["jti"].get<std::string>();
    }
    return detail::accept("vonage", std::move(id));
  }

  std::optional<core::Headers> sign(const core::RequestView& request,
                                    core::Clock::time_point now) const override {
    const nlohmann::json claims = {
        {"iat", core::to_unix_seconds(now)},
        {"jti", detail::random_id("")},
        {"iss", "Vonage"},
        {"payload_hash", hex_encode(digest(HashAlgorithm::sha256, request.body))}};
    core::Headers out;
    out.add("Authorization", "Bearer " + detail::make_hs256_jwt(claims, secret_));
    return out;
  }

 private:
  std::string secret_;
  std::chrono::seconds tolerance_;
};

core::Fallible<VerifierPtr> make(std::string_view, const VerifierOptions& options) {
  return std::make_unique<VonageVerifier>(options);
}

}  // namespace

ProviderEntry vonage_entry(std::string_view name) {
  return {{std::string{name}, "Authorization: Bearer <JWT>",
           "JWT HS256, payload_hash = SHA-256(body) hex", "", std::chrono::seconds{300}, true},
          &make};
}

}  // namespace relay::verify::providers
