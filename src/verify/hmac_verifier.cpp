#include "hmac_verifier.hpp"

#include "handshakes.hpp"
#include "hmac_signature.hpp"
#include "relay/verify/error.hpp"
#include "verify_detail.hpp"

namespace relay::verify::detail {
core::Fallible<std::string> hmac_key(const HmacSpec& spec, std::string_view secret) {
  switch (spec.secret_format) {
    case SecretFormat::raw:
      return std::string{secret};
    case SecretFormat::base64:
      if (auto key = base64_decode(secret)) return std::move(*key);
      return core::Failure{.code = VerifyErrc::invalid_secret,
                           .message = std::string{spec.name} +
                                      ": the secret must be base64, as the provider shows it"};
    case SecretFormat::svix: {
      auto text = secret;
      if (text.starts_with("whsec_")) text.remove_prefix(6);
      if (auto key = base64_decode(text); key && !key->empty()) return std::move(*key);
      return core::Failure{
          .code = VerifyErrc::invalid_secret,
          .message = std::string{spec.name} +
                     ": the signing secret must be 'whsec_<base64>' (or its base64 part), as the "
                     "provider's dashboard shows it"};
    }
  }
  return std::string{secret};
}

HmacVerifier::HmacVerifier(const HmacSpec& spec, std::string key, VerifierOptions options,
                           std::shared_ptr<const void> owner)
    : spec_(spec),
      key_(std::move(key)),
      options_(std::move(options)),
      tolerance_(options_.tolerance.value_or(spec.tolerance)),
      owner_(std::move(owner)) {
  if (spec_.unbranded != nullptr) {
    HmacSpec alternative = spec_;
    alternative.header = spec_.unbranded->header;
    alternative.timestamp_header = spec_.unbranded->timestamp_header;
    alternative.id_header = spec_.unbranded->id_header;
    alternative.unbranded = nullptr;
    unbranded_ = std::make_unique<const HmacVerifier>(alternative, key_, options_, owner_);
  }
}

std::string HmacVerifier::signature_of(std::string_view message) const {
  return encode(spec_.encoding, hmac(spec_.algorithm, key_, message));
}

std::string HmacVerifier::signed_string(const core::RequestView& request,
                                        std::string_view timestamp, std::string_view id) const {
  return signed_payload(spec_.signed_template, request, timestamp, id);
}

// Signature header → candidates → timestamp and id → constant-time compare → timestamp window.
// The order is the messages' order: a request missing its header is told so before anything
// about its timestamp, and a mismatch before a stale timestamp (hmac_signature.hpp decides).
Verdict HmacVerifier::verify(const core::RequestView& request, core::Clock::time_point now) const {
  const auto& name = spec_.name;
  const auto values = signature_header_values(request.headers, spec_);
  const std::string header_label = signature_header_label(spec_);
  if (values.empty()) {
    if (unbranded_ && request.headers.get(unbranded_->spec_.header)) {
      return unbranded_->verify(request, now);
    }
    return reject(VerdictCode::missing_header, name,
                  "missing signature header " + header_label +
                      (unbranded_ ? " (or " + std::string{unbranded_->spec_.header} + ")" : ""));
  }
  const auto signatures = parse_signature_values(values, spec_);
  if (signatures.candidates.empty()) {
    return reject(VerdictCode::malformed_header, name,
                  "malformed " + header_label + ": expected " + describe_signature_format(spec_));
  }
  const auto timestamp =
      read_signed_timestamp(spec_, request.headers, signatures.timestamp, header_label);
  if (timestamp.rejection) return *timestamp.rejection;
  std::optional<std::string_view> id;
  if (!spec_.id_header.empty()) {
    id = request.headers.get(spec_.id_header);
    if (!id) {
      return reject(
          VerdictCode::missing_header, name,
          "missing header " + std::string{spec_.id_header} + " (part of the signed content)");
    }
  }

  const auto expected = signature_of(signed_string(request, timestamp.text, id.value_or("")));
  bool match = false;
  for (const auto candidate : signatures.candidates) {
    match |= constant_time_equal(expected, candidate);  // no early exit: same work per request
  }
  if (!match) {
    return reject(VerdictCode::signature_mismatch, name,
                  mismatch_reason(signatures.candidates.size(), header_label));
  }
  if (timestamp.unix_seconds) {
    if (auto bad = check_timestamp(*timestamp.unix_seconds, now, tolerance_, name)) return *bad;
  }
  return accept(name, event_id_of(spec_, request.headers, id));
}

std::optional<HandshakeResponse> HmacVerifier::handshake(const core::RequestView& request,
                                                         core::Clock::time_point now) const {
  return answer_handshake(spec_.handshake, *this, request, now, key_, options_);
}

std::optional<core::Headers> HmacVerifier::sign(const core::RequestView& request,
                                                core::Clock::time_point now) const {
  core::Headers out;
  std::string timestamp;
  if (spec_.timestamp_format != TimestampFormat::none) {
    timestamp = format_timestamp(now, spec_.timestamp_format);
  }
  std::string id;
  if (!spec_.id_header.empty()) {
    const auto existing = request.headers.get(spec_.id_header);
    id = existing ? std::string{*existing} : random_id("msg_");
    out.add(std::string{spec_.id_header}, id);
  }
  if (!spec_.timestamp_header.empty()) out.add(std::string{spec_.timestamp_header}, timestamp);
  const auto signature = signature_of(signed_string(request, timestamp, id));
  std::string value;
  switch (spec_.list) {
    case SignatureList::single:
    case SignatureList::comma:
      value = std::string{spec_.prefix} + signature;
      break;
    case SignatureList::key_value:
      if (!spec_.kv_timestamp.empty()) {
        value = std::string{spec_.kv_timestamp} + "=" + timestamp + spec_.kv_separator;
      }
      value += std::string{spec_.kv_signature} + "=" + signature;
      break;
    case SignatureList::svix:
      value = "v1," + signature;
      break;
  }
  out.add(std::string{spec_.header} + (spec_.numbered_headers ? "1" : ""), std::move(value));
  return out;
}

}  // namespace relay::verify::detail
