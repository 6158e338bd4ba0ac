#pragma once

#include <chrono>
#include <string_view>

#include "relay/verify/crypto.hpp"

namespace relay::verify {

enum class Encoding { hex, base64 };

// How signatures sit in the signature header.
enum class SignatureList {
  single,     // the whole value, after `prefix` ("sha256=<hex>")
  comma,      // comma-separated, each after `prefix` ("v1=<a>,v1=<b>": PagerDuty)
  key_value,  // "t=<ts>,v1=<a>,v1=<b>" (Stripe family); see kv_* fields
  svix,       // space-separated "v1,<base64>" entries (Svix, Standard Webhooks)
};

enum class TimestampFormat { none, unix_seconds, unix_millis, iso8601 };

// How the configured secret becomes the HMAC key.
enum class SecretFormat {
  raw,     // the bytes as configured
  base64,  // base64-decoded (Microsoft Teams)
  svix,    // optional "whsec_" prefix, then base64 (Svix, Standard Webhooks, Clerk, Brex)
};

// Challenges relay answers itself for a provider (see handshakes.cpp).
enum class Handshake {
  none,
  zoom_url_validation,
  slack_url_verification,
  meta_hub_challenge,
  twitter_crc,
  dropbox_challenge,
  worldline_verification,
  tokportal_challenge,
  okta_verification,
  discord_ping,
};

// One row of the HMAC table: a provider whose signature is an HMAC over a string built from the
// body, a timestamp, an id and/or the URL, in a header with a prefix and an encoding.
struct HmacSpec {
  std::string_view name{};
  std::string_view header{};
  // header names the first of numbered headers ("X-DocuSign-Signature-" + 1, 2, ...).
  bool numbered_headers = false;
  // A second header whose signatures are also accepted (Box's secondary key).
  std::string_view alt_header{};
  HashAlgorithm algorithm = HashAlgorithm::sha256;
  Encoding encoding = Encoding::hex;
  SignatureList list = SignatureList::single;
  std::string_view prefix{};            // before each signature: "sha256=", "v0=", "HMAC "
  char kv_separator = ',';              // key_value lists
  std::string_view kv_timestamp{};      // key_value lists: "t", "ts", "timestamp"
  std::string_view kv_signature{};      // key_value lists: "v1", "s", "h1", "signature"
  std::string_view timestamp_header{};  // when the timestamp has its own header
  TimestampFormat timestamp_format = TimestampFormat::none;
  std::string_view id_header{};  // {id} in the template; required when set
  // Placeholders: {body} {timestamp} (as sent) {id} {url} {method}.
  std::string_view signed_template = "{body}";
  SecretFormat secret_format = SecretFormat::raw;
  std::chrono::seconds tolerance{300};
  std::string_view event_id_header{};  // idempotency key reported in the Verdict
  Handshake handshake = Handshake::none;
  // Another row whose headers are read when this row's `header` is absent: Svix's libraries
  // accept the unbranded Standard Webhooks names (webhook-id, -timestamp, -signature) too.
  const HmacSpec* unbranded = nullptr;
};

}  // namespace relay::verify
