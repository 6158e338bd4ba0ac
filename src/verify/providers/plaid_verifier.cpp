// Plaid: `Plaid-Verification` is an ES256 JWT; its header `kid` names the key (the JWK from
// /webhook_verification_key/get, configured as the secret), claim `request_body_sha256` is the
// hex SHA-256 of the raw body and `iat` must be under 5 minutes old. Public key: no local signing.
#include <nlohmann/json.hpp>

#include "relay/verify/error.hpp"
#include "verify/jwt.hpp"
#include "verify/providers/provider_entry.hpp"
#include "verify/verify_detail.hpp"

namespace relay::verify::providers {
namespace {

struct Jwk {
  std::string kid, x, y;  // x, y decoded
};

class PlaidVerifier final : public Verifier {
 public:
  PlaidVerifier(std::vector<Jwk> keys, const VerifierOptions& options)
      : keys_(std::move(keys)), tolerance_(options.tolerance.value_or(std::chrono::seconds{300})) {}

  Verdict verify(const core::RequestView& request, core::Clock::time_point now) const override {
    const auto token = request.headers.get("Plaid-Verification");
    if (!token) {
      return detail::reject(VerdictCode::missing_header, "plaid",
                            "missing signature header Plaid-Verification");
    }
    const auto jwt = detail::parse_jwt(*token);
    if (!jwt || jwt->header.value("alg", "") != "ES256") {
      return detail::reject(VerdictCode::malformed_header, "plaid",
                            "malformed Plaid-Verification: not an ES256 JWT");
    }
    const auto kid = jwt->header.value("kid", "");
    const Jwk* key = nullptr;
    for (const auto& k : keys_) {
      if (k.kid == kid) key = &k;
    }
    if (key == nullptr) {
      return detail::reject(VerdictCode::signature_mismatch, "plaid",
                            "signature mismatch: the JWT's kid '" + kid +
                                "' is not the configured key; fetch it with "
                                "/webhook_verification_key/get");
    }
    if (!ecdsa_p256_verify_jose(key->x, key->y, jwt->signing_input, jwt->signature)) {
      return detail::reject(VerdictCode::signature_mismatch, "plaid",
                            "signature mismatch: the JWT signature does not verify");
    }
    const auto& claims = jwt->claims;
    const auto hash =
        claims.contains("request_body_sha256") && claims["request_body_sha256"].is_string()
            ? claims["request_body_sha256"].get<std::string>()
            : std::string{};
    if (!constant_time_equal(hex_encode(digest(HashAlgorithm::sha256, request.body)), hash)) {
      return detail::reject(VerdictCode::signature_mismatch, "plaid",
                            "signature mismatch: request_body_sha256 does not match the body");
    }
    if (!claims.contains("iat") || !claims["iat"].is_number()) {
      return detail::reject(VerdictCode::malformed_header, "plaid",
                            "malformed Plaid-Verification: no iat claim");
    }
    if (auto bad =
            detail::check_timestamp(claims["iat"].get<std::int64_t>(), now, tolerance_, "plaid")) {
      return *bad;
    }
    return detail::accept("plaid");
  }
  std::optional<core::Headers> sign(const core::RequestView&,
                                    core::Clock::time_point) const override {
    return std::nullopt;
  }

 private:
  std::vector<Jwk> keys_;
  std::chrono::seconds tolerance_;
};

std::optional<Jwk> jwk_of(const nlohmann::json& j) {
  if (!j.is_object() || j.value("kty", "") != "EC" || j.value("crv", "") != "P-256") {
    return std::nullopt;
  }
  auto x = base64url_decode(j.value("x", ""));
  auto y = base64url_decode(j.value("y", ""));
  if (!x || !y || x->size() != 32 || y->size() != 32) return std::nullopt;
  return Jwk{j.value("kid", ""), std::move(*x), std::move(*y)};
}

core::Fallible<VerifierPtr> make(std::string_view, const VerifierOptions& options) {
  const auto json = nlohmann::json::parse(options.secret, nullptr, false);
  std::vector<nlohmann::json> candidates;
  if (json.is_object() && json.contains("key")) {
    candidates.push_back(json["key"]);  // the whole /webhook_verification_key/get response
  } else if (json.is_object() && json.contains("keys") && json["keys"].is_array()) {
    for (const auto& k : json["keys"]) candidates.push_back(k);
  } else if (json.is_array()) {
    for (const auto& k : json) candidates.push_back(k);
  } else {
    candidates.push_back(json);
  }
  std::vector<Jwk> keys;
  for (const auto& c : candidates) {
    if (auto k = jwk_of(c)) keys.push_back(std::move(*k));
  }
  if (keys.empty()) {
    return core::Failure{
        .code = VerifyErrc::invalid_secret,
        .message =
            "plaid: the secret must be the JWK (JSON with kty EC, crv P-256, x, y, kid) "
            "returned by /webhook_verification_key/get; use file:PATH to pass it"};
  }
  return std::make_unique<PlaidVerifier>(std::move(keys), options);
}

}  // namespace

ProviderEntry plaid_entry(std::string_view name) {
  return {{std::string{name}, "Plaid-Verification",
           "JWT ES256 (kid → JWK), request_body_sha256 = SHA-256(body); secret = JWK", "",
           std::chrono::seconds{300}, true},
          &make};
}

}  // namespace relay::verify::providers
