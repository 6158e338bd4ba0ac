// `hmac`: a verifier configured entirely by parameters, for providers without a row of their
// own. Parameters (VerifierOptions::params; `--param key=value` on the CLI):
//   header (required), algorithm sha1|sha256|sha512, encoding hex|base64, prefix,
//   template (placeholders {body} {timestamp} {id} {url} {method}; default {body}),
//   timestamp_header, timestamp_format unix|unix_ms|iso8601, id_header,
//   list single|comma|svix, secret_encoding raw|base64|whsec.
#include <set>

#include "relay/verify/error.hpp"
#include "verify/hmac_verifier.hpp"
#include "verify/providers/provider_entry.hpp"

namespace relay::verify::providers {
namespace {

// Owns the strings the spec's views point into, for the verifier's lifetime.
struct OwnedSpec {
  std::string header, prefix, signed_template, timestamp_header, id_header, name = "hmac";
};

core::Failure invalid_option(std::string message) {
  return core::Failure{.code = VerifyErrc::invalid_option, .message = std::move(message)};
}

// The choice named by params[key], `fallback` when the key is absent, or the Failure listing the
// choices.
template <class T>
core::Fallible<T> pick(const std::map<std::string, std::string>& params, const char* key,
                       std::initializer_list<std::pair<std::string_view, T>> choices, T fallback) {
  const auto it = params.find(key);
  if (it == params.end()) return fallback;
  std::string names;
  for (const auto& [name, value] : choices) {
    if (it->second == name) return value;
    names += (names.empty() ? "" : ", ") + std::string{name};
  }
  return invalid_option(std::string{"hmac: "} + key + " '" + it->second +
                        "' is not one of: " + names);
}

core::Fallible<VerifierPtr> make(std::string_view, const VerifierOptions& options) {
  static const std::set<std::string> kKnown = {
      "header",           "algorithm",        "encoding",  "prefix", "template",
      "timestamp_header", "timestamp_format", "id_header", "list",   "secret_encoding"};
  const auto& p = options.params;
  for (const auto& [key, value] : p) {
    if (!kKnown.contains(key)) {
      return invalid_option("hmac: unknown option '" + key +
                            "'; known: header, algorithm, encoding, prefix, template, "
                            "timestamp_header, timestamp_format, id_header, list, secret_encoding");
    }
  }
  auto owned = std::make_shared<OwnedSpec>();
  const auto get = [&](const char* key, const std::string& fallback) {
    const auto it = p.find(key);
    return it == p.end() ? fallback : it->second;
  };
  owned->header = get("header", "");
  if (owned->header.empty()) {
    return invalid_option(
        "hmac: the 'header' option is required (the header carrying the signature), e.g. "
        "--param header=X-Signature");
  }
  owned->prefix = get("prefix", "");
  owned->signed_template = get("template", "{body}");
  owned->timestamp_header = get("timestamp_header", "");
  owned->id_header = get("id_header", "");

  HmacSpec spec;
  const auto algorithm = pick<HashAlgorithm>(p, "algorithm",
                                             {{"sha1", HashAlgorithm::sha1},
                                              {"sha256", HashAlgorithm::sha256},
                                              {"sha512", HashAlgorithm::sha512}},
                                             spec.algorithm);
  if (!algorithm) return algorithm.error();
  spec.algorithm = *algorithm;
  const auto encoding = pick<Encoding>(
      p, "encoding", {{"hex", Encoding::hex}, {"base64", Encoding::base64}}, spec.encoding);
  if (!encoding) return encoding.error();
  spec.encoding = *encoding;
  const auto list = pick<SignatureList>(p, "list",
                                        {{"single", SignatureList::single},
                                         {"comma", SignatureList::comma},
                                         {"svix", SignatureList::svix}},
                                        spec.list);
  if (!list) return list.error();
  spec.list = *list;
  const auto secret_format = pick<SecretFormat>(
      p, "secret_encoding",
      {{"raw", SecretFormat::raw}, {"base64", SecretFormat::base64}, {"whsec", SecretFormat::svix}},
      spec.secret_format);
  if (!secret_format) return secret_format.error();
  spec.secret_format = *secret_format;
  if (!owned->timestamp_header.empty()) spec.timestamp_format = TimestampFormat::unix_seconds;
  const auto timestamp_format = pick<TimestampFormat>(p, "timestamp_format",
                                                      {{"unix", TimestampFormat::unix_seconds},
                                                       {"unix_ms", TimestampFormat::unix_millis},
                                                       {"iso8601", TimestampFormat::iso8601}},
                                                      spec.timestamp_format);
  if (!timestamp_format) return timestamp_format.error();
  spec.timestamp_format = *timestamp_format;
  if (spec.timestamp_format != TimestampFormat::none && owned->timestamp_header.empty()) {
    return invalid_option(
        "hmac: timestamp_format needs timestamp_header (the header carrying the timestamp)");
  }
  if (owned->signed_template.find("{timestamp}") != std::string::npos &&
      owned->timestamp_header.empty()) {
    return invalid_option("hmac: the template uses {timestamp}; set timestamp_header too");
  }
  if (owned->signed_template.find("{id}") != std::string::npos && owned->id_header.empty()) {
    return invalid_option("hmac: the template uses {id}; set id_header too");
  }
  spec.name = owned->name;
  spec.header = owned->header;
  spec.prefix = owned->prefix;
  spec.signed_template = owned->signed_template;
  spec.timestamp_header = owned->timestamp_header;
  spec.id_header = owned->id_header;
  auto key = detail::hmac_key(spec, options.secret);
  if (!key) return key.error();
  return std::make_unique<detail::HmacVerifier>(spec, std::move(*key), options, owned);
}

}  // namespace

ProviderEntry generic_hmac_entry(std::string_view name) {
  return {
      {std::string{name}, "(--param header=NAME)",
       "HMAC-SHA1/256/512(template) hex|base64, configurable", "", std::chrono::seconds{300}, true},
      &make};
}

}  // namespace relay::verify::providers
