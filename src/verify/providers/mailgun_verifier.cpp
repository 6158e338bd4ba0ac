// Mailgun: the signature travels in the body, not a header: `signature: {timestamp, token,
// signature}` (JSON webhooks) or the `timestamp`, `token`, `signature` form fields (legacy),
// with signature = hex HMAC-SHA256(webhook signing key, timestamp + token). The token is the
// idempotency key Mailgun suggests caching to refuse replays.
#include <nlohmann/json.hpp>

#include "verify/providers/provider_entry.hpp"
#include "verify/verify_detail.hpp"

namespace relay::verify::providers {
namespace {

struct Fields {
  std::string timestamp, token, signature;
};

std::optional<Fields> fields_of(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object()) {
    if (!json.contains("signature") || !json["signature"].is_object()) return std::nullopt;
    const auto& s = json["signature"];
    const auto text = [&](const char* k) -> std::string {
      if (!s.contains(k)) return {};
      return s[k].is_string() ? s[k].get<std::string>() : s[k].dump();
    };
    return Fields{text("timestamp"), text("token"), text("signature")};
  }
  Fields f;
  for (auto& [k, v] : detail::form_params(body)) {
    if (k == "timestamp") f.timestamp = v;
    if (k == "token") f.token = v;
    if (k == "signature") f.signature = v;
  }
  if (f.signature.empty()) return std::nullopt;
  return f;
}

class MailgunVerifier final : public Verifier {
 public:
  explicit MailgunVerifier(const VerifierOptions& options)
      : key_(options.secret), tolerance_(options.tolerance.value_or(std::chrono::seconds{300})) {}

  Verdict verify(const core::RequestView& request, core::Clock::time_point now) const override {
    const auto f = fields_of(request.body);
    if (!f) {
      return detail::reject(VerdictCode::missing_header, "mailgun",
                            "missing signature: the body has no signature {timestamp, token, "
                            "signature} object (Mailgun signs inside the body)");
    }
    const auto ts = detail::parse_timestamp(f->timestamp, TimestampFormat::unix_seconds);
    if (!ts || f->token.empty()) {
      return detail::reject(VerdictCode::malformed_header, "mailgun",
                            "malformed signature object: timestamp and token are required");
    }
    const auto expected = hex_encode(hmac(HashAlgorithm::sha256, key_, f->timestamp + f->token));
    if (!constant_time_equal(expected, f->signature)) {
      return detail::reject(VerdictCode::signature_mismatch, "mailgun",
                            "signature mismatch: check the HTTP webhook signing key");
    }
    if (auto bad = detail::check_timestamp(*ts, now, tolerance_, "mailgun")) return *bad;
    return detail::accept("mailgun", f->token);
  }
  // The signature is part of the body, so there are no headers to add.
  std::optional<core::Headers> sign(const core::RequestView&,
                                    core::Clock::time_point) const override {
    return std::nullopt;
  }

 private:
  std::string key_;
  std::chrono::seconds tolerance_;
};

core::Fallible<VerifierPtr> make(std::string_view, const VerifierOptions& options) {
  return std::make_unique<MailgunVerifier>(options);
}

}  // namespace

ProviderEntry mailgun_entry(std::string_view name) {
  return {{std::string{name}, "(in the body) signature.timestamp/token/signature",
           "HMAC-SHA256(timestamp + token) hex", "", std::chrono::seconds{300}, true},
          &make};
}

}  // namespace relay::verify::providers
