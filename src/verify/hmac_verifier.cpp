#include "hmac_verifier.hpp"

#include "handshakes.hpp"
#include "relay/verify/error.hpp"
#include "relay/verify/signature_header.hpp"
#include "verify_detail.hpp"

namespace relay::verify::detail {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string describe_format(const HmacSpec& spec) {
  switch (spec.list) {
    case SignatureList::key_value:
      return std::string{spec.kv_timestamp.empty() ? "" : spec.kv_timestamp} +
             (spec.kv_timestamp.empty() ? "" : "=<timestamp>") + spec.kv_separator +
             std::string{spec.kv_signature} + "=<signature>";
    case SignatureList::svix:
      return "v1,<base64 signature> (space-separated)";
    default:
      return std::string{spec.prefix} +
             (spec.encoding == Encoding::hex ? "<hex signature>" : "<base64 signature>");
  }
}

}  // namespace

core::Result<std::string> hmac_key(const HmacSpec& spec, std::string_view secret,
                                   std::string& error) {
  switch (spec.secret_format) {
    case SecretFormat::raw:
      return std::string{secret};
    case SecretFormat::base64:
      if (auto key = base64_decode(secret)) return std::move(*key);
      error = std::string{spec.name} + ": the secret must be base64, as the provider shows it";
      return VerifyErrc::invalid_secret;
    case SecretFormat::svix: {
      auto text = secret;
      if (text.starts_with("whsec_")) text.remove_prefix(6);
      if (auto key = base64_decode(text); key && !key->empty()) return std::move(*key);
      error = std::string{spec.name} +
              ": the signing secret must be 'whsec_<base64>' (or its base64 part), as the "
              "provider's dashboard shows it";
      return VerifyErrc::invalid_secret;
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
  std::string out;
  out.reserve(request.body.size() + 128);
  std::string_view tpl = spec_.signed_template;
  while (!tpl.empty()) {
    const auto open = tpl.find('{');
    const auto close = open == std::string_view::npos ? open : tpl.find('}', open);
    if (close == std::string_view::npos) {
      out.append(tpl);
      break;
    }
    out.append(tpl.substr(0, open));
    const auto name = tpl.substr(open + 1, close - open - 1);
    if (name == "body") {
      out.append(request.body);
    } else if (name == "timestamp") {
      out.append(timestamp);
    } else if (name == "id") {
      out.append(id);
    } else if (name == "url") {
      out.append(request.url);
    } else if (name == "method") {
      out.append(request.method);
    } else {
      out.append(tpl.substr(open, close - open + 1));  // not a placeholder: literal text
    }
    tpl.remove_prefix(close + 1);
  }
  return out;
}

Verdict HmacVerifier::verify(const core::RequestView& request, core::Clock::time_point now) const {
  const auto& name = spec_.name;
  std::vector<std::string_view> values;
  for (const auto& field : request.headers) {
    const bool primary =
        spec_.numbered_headers
            ? field.name.size() > spec_.header.size() &&
                  core::iequals(std::string_view{field.name}.substr(0, spec_.header.size()),
                                spec_.header) &&
                  all_digits(std::string_view{field.name}.substr(spec_.header.size()))
            : core::iequals(field.name, spec_.header);
    if (primary || (!spec_.alt_header.empty() && core::iequals(field.name, spec_.alt_header))) {
      values.push_back(field.value);
    }
  }
  const std::string header_label = std::string{spec_.header} + (spec_.numbered_headers ? "1" : "");
  if (values.empty()) {
    if (unbranded_ && request.headers.get(unbranded_->spec_.header)) {
      return unbranded_->verify(request, now);
    }
    return reject(VerdictCode::missing_header, name,
                  "missing signature header " + header_label +
                      (unbranded_ ? " (or " + std::string{unbranded_->spec_.header} + ")" : ""));
  }

  std::vector<std::string_view> candidates;
  std::optional<std::string_view> timestamp;
  const auto take = [&](std::string_view item) {
    item = trim(item);
    if (!item.starts_with(spec_.prefix)) return;
    item.remove_prefix(spec_.prefix.size());
    if (!item.empty()) candidates.push_back(item);
  };
  for (const auto value : values) {
    switch (spec_.list) {
      case SignatureList::single:
        take(value);
        break;
      case SignatureList::comma:
        for (const auto item : split_list(value, ',')) take(item);
        break;
      case SignatureList::key_value:
        for (const auto& [key, v] : parse_key_value_list(value, spec_.kv_separator)) {
          if (!spec_.kv_timestamp.empty() && key == spec_.kv_timestamp) timestamp = v;
          if (key == spec_.kv_signature && !v.empty()) candidates.push_back(v);
        }
        break;
      case SignatureList::svix:
        for (const auto& [version, v] : parse_svix_list(value)) {
          if (version == "v1" && !v.empty()) candidates.push_back(v);
        }
        break;
    }
  }
  if (candidates.empty()) {
    return reject(VerdictCode::malformed_header, name,
                  "malformed " + header_label + ": expected " + describe_format(spec_));
  }

  std::optional<std::int64_t> unix_ts;
  if (spec_.timestamp_format != TimestampFormat::none) {
    if (!spec_.timestamp_header.empty()) {
      timestamp = request.headers.get(spec_.timestamp_header);
      if (!timestamp) {
        return reject(VerdictCode::missing_header, name,
                      "missing timestamp header " + std::string{spec_.timestamp_header});
      }
    } else if (!timestamp) {
      return reject(VerdictCode::malformed_header, name,
                    "malformed " + header_label + ": no " + std::string{spec_.kv_timestamp} +
                        "=<timestamp> element");
    }
    unix_ts = parse_timestamp(trim(*timestamp), spec_.timestamp_format);
    if (!unix_ts) {
      return reject(VerdictCode::malformed_header, name,
                    "malformed timestamp '" + std::string{*timestamp} + "'");
    }
  }
  std::optional<std::string_view> id;
  if (!spec_.id_header.empty()) {
    id = request.headers.get(spec_.id_header);
    if (!id) {
      return reject(
          VerdictCode::missing_header, name,
          "missing header " + std::string{spec_.id_header} + " (part of the signed content)");
    }
  }

  const auto expected =
      signature_of(signed_string(request, timestamp ? trim(*timestamp) : "", id.value_or("")));
  bool match = false;
  for (const auto candidate : candidates) {
    match |= constant_time_equal(expected, candidate);  // no early exit: same work per request
  }
  if (!match) {
    return reject(VerdictCode::signature_mismatch, name,
                  "signature mismatch: " +
                      (candidates.size() == 1 ? std::string{"the signature"}
                                              : std::to_string(candidates.size()) + " signatures") +
                      " in " + header_label + (candidates.size() == 1 ? " does" : " do") +
                      " not match the body; check the secret and that nothing rewrote the body");
  }
  if (unix_ts) {
    if (auto bad = check_timestamp(*unix_ts, now, tolerance_, name)) return *bad;
  }
  std::optional<std::string> event_id;
  if (!spec_.event_id_header.empty()) {
    if (const auto v = request.headers.get(spec_.event_id_header)) event_id = std::string{*v};
  } else if (id) {
    event_id = std::string{*id};
  }
  return accept(name, std::move(event_id));
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
