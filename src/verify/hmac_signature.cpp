#include "hmac_signature.hpp"

#include "relay/verify/signature_header.hpp"
#include "verify_detail.hpp"

namespace relay::verify::detail {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

bool is_signature_field(std::string_view name, const HmacSpec& spec) {
  const bool primary = spec.numbered_headers
                           ? name.size() > spec.header.size() &&
                                 core::iequals(name.substr(0, spec.header.size()), spec.header) &&
                                 all_digits(name.substr(spec.header.size()))
                           : core::iequals(name, spec.header);
  return primary || (!spec.alt_header.empty() && core::iequals(name, spec.alt_header));
}

}  // namespace

std::vector<std::string_view> signature_header_values(const core::Headers& headers,
                                                      const HmacSpec& spec) {
  std::vector<std::string_view> values;
  for (const auto& field : headers) {
    if (is_signature_field(field.name, spec)) values.push_back(field.value);
  }
  return values;
}

std::string signature_header_label(const HmacSpec& spec) {
  return std::string{spec.header} + (spec.numbered_headers ? "1" : "");
}

std::string describe_signature_format(const HmacSpec& spec) {
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

Signatures parse_signature_values(const std::vector<std::string_view>& values,
                                  const HmacSpec& spec) {
  Signatures out;
  const auto take = [&](std::string_view item) {
    item = trim(item);
    if (!item.starts_with(spec.prefix)) return;
    item.remove_prefix(spec.prefix.size());
    if (!item.empty()) out.candidates.push_back(item);
  };
  for (const auto value : values) {
    switch (spec.list) {
      case SignatureList::single:
        take(value);
        break;
      case SignatureList::comma:
        for (const auto item : split_list(value, ',')) take(item);
        break;
      case SignatureList::key_value:
        for (const auto& [key, v] : parse_key_value_list(value, spec.kv_separator)) {
          if (!spec.kv_timestamp.empty() && key == spec.kv_timestamp) out.timestamp = v;
          if (key == spec.kv_signature && !v.empty()) out.candidates.push_back(v);
        }
        break;
      case SignatureList::svix:
        for (const auto& [version, v] : parse_svix_list(value)) {
          if (version == "v1" && !v.empty()) out.candidates.push_back(v);
        }
        break;
    }
  }
  return out;
}

SignedTimestamp read_signed_timestamp(const HmacSpec& spec, const core::Headers& headers,
                                      std::optional<std::string_view> from_list,
                                      std::string_view header_label) {
  SignedTimestamp out;
  std::optional<std::string_view> timestamp = from_list;
  if (spec.timestamp_format != TimestampFormat::none) {
    if (!spec.timestamp_header.empty()) {
      timestamp = headers.get(spec.timestamp_header);
      if (!timestamp) {
        out.rejection = reject(VerdictCode::missing_header, spec.name,
                               "missing timestamp header " + std::string{spec.timestamp_header});
        return out;
      }
    } else if (!timestamp) {
      out.rejection = reject(VerdictCode::malformed_header, spec.name,
                             "malformed " + std::string{header_label} + ": no " +
                                 std::string{spec.kv_timestamp} + "=<timestamp> element");
      return out;
    }
    out.unix_seconds = parse_timestamp(trim(*timestamp), spec.timestamp_format);
    if (!out.unix_seconds) {
      out.rejection = reject(VerdictCode::malformed_header, spec.name,
                             "malformed timestamp '" + std::string{*timestamp} + "'");
      return out;
    }
  }
  if (timestamp) out.text = trim(*timestamp);
  return out;
}

std::string signed_payload(std::string_view signed_template, const core::RequestView& request,
                           std::string_view timestamp, std::string_view id) {
  std::string out;
  out.reserve(request.body.size() + 128);
  std::string_view tpl = signed_template;
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

std::string mismatch_reason(std::size_t candidates, std::string_view header_label) {
  return "signature mismatch: " +
         (candidates == 1 ? std::string{"the signature"}
                          : std::to_string(candidates) + " signatures") +
         " in " + std::string{header_label} + (candidates == 1 ? " does" : " do") +
         " not match the body; check the secret and that nothing rewrote the body";
}

std::optional<std::string> event_id_of(const HmacSpec& spec, const core::Headers& headers,
                                       std::optional<std::string_view> signed_id) {
  if (!spec.event_id_header.empty()) {
    if (const auto v = headers.get(spec.event_id_header)) return std::string{*v};
    return std::nullopt;
  }
  if (signed_id) return std::string{*signed_id};
  return std::nullopt;
}

}  // namespace relay::verify::detail
