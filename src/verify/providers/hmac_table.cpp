// Providers whose scheme is an HMAC: data, one row each, read by detail::HmacVerifier. A new such
// provider is one row here (and its vectors); add_hmac_table registers every row.
// Each row was checked against the provider's documentation or official library and against the
// shared and project vectors (tests/vectors/). Keep rows sorted by name.
#include <algorithm>
#include <array>

#include "relay/verify/error.hpp"
#include "verify/hmac_verifier.hpp"
#include "verify/providers/provider_entry.hpp"

namespace relay::verify::providers {
namespace {

using std::chrono::seconds;
using enum Encoding;
using enum SignatureList;
using enum TimestampFormat;
using HA = HashAlgorithm;

// clang-format off
constexpr HmacSpec kMeta{.header = "X-Hub-Signature-256", .prefix = "sha256=",
                         .handshake = Handshake::meta_hub_challenge};
constexpr HmacSpec kStandard{.header = "webhook-signature", .encoding = base64, .list = svix,
                             .timestamp_header = "webhook-timestamp", .timestamp_format = unix_seconds,
                             .id_header = "webhook-id", .signed_template = "{id}.{timestamp}.{body}",
                             .secret_format = SecretFormat::svix};
constexpr HmacSpec kSvix{.header = "svix-signature", .encoding = base64, .list = svix,
                         .timestamp_header = "svix-timestamp", .timestamp_format = unix_seconds,
                         .id_header = "svix-id", .signed_template = "{id}.{timestamp}.{body}",
                         .secret_format = SecretFormat::svix, .unbranded = &kStandard};

constexpr HmacSpec with_name(HmacSpec spec, std::string_view name) {
  spec.name = name;
  return spec;
}

const std::array kTable = {
  HmacSpec{.name = "aftership", .header = "aftership-hmac-sha256", .encoding = base64},
  HmacSpec{.name = "airship", .header = "X-UA-Signature", .timestamp_header = "X-UA-Timestamp",
           .timestamp_format = unix_seconds, .signed_template = "{timestamp}:{body}"},
  HmacSpec{.name = "bitbucket", .header = "X-Hub-Signature", .prefix = "sha256=",
           .event_id_header = "X-Request-UUID"},
  HmacSpec{.name = "bolt", .header = "X-Bolt-Hmac-Sha256", .encoding = base64},
  HmacSpec{.name = "box", .header = "BOX-SIGNATURE-PRIMARY", .alt_header = "BOX-SIGNATURE-SECONDARY",
           .encoding = base64, .timestamp_header = "BOX-DELIVERY-TIMESTAMP",
           .timestamp_format = iso8601, .signed_template = "{body}{timestamp}", .tolerance = seconds{600}},
  with_name(kStandard, "brex"),
  HmacSpec{.name = "buildkite", .header = "X-Buildkite-Signature", .list = key_value,
           .kv_timestamp = "timestamp", .kv_signature = "signature",
           .timestamp_format = unix_seconds, .signed_template = "{timestamp}.{body}"},
  HmacSpec{.name = "calendly", .header = "Calendly-Webhook-Signature", .list = key_value,
           .kv_timestamp = "t", .kv_signature = "v1", .timestamp_format = unix_seconds,
           .signed_template = "{timestamp}.{body}", .tolerance = seconds{180}},
  HmacSpec{.name = "castle", .header = "X-Castle-Signature", .encoding = base64},
  HmacSpec{.name = "chargify", .header = "X-Chargify-Webhook-Signature-Hmac-Sha-256"},
  HmacSpec{.name = "circleci", .header = "circleci-signature", .list = comma, .prefix = "v1="},
  with_name(kSvix, "clerk"),
  HmacSpec{.name = "coinbase", .header = "X-CC-Webhook-Signature"},
  HmacSpec{.name = "docusign", .header = "X-DocuSign-Signature-", .numbered_headers = true,
           .encoding = base64},
  HmacSpec{.name = "dropbox", .header = "X-Dropbox-Signature",
           .handshake = Handshake::dropbox_challenge},
  with_name(kMeta, "facebook_graph_api"),
  with_name(kMeta, "facebook_messenger"),
  HmacSpec{.name = "frameio", .header = "X-Frameio-Signature", .prefix = "v0=",
           .timestamp_header = "X-Frameio-Request-Timestamp", .timestamp_format = unix_seconds,
           .signed_template = "v0:{timestamp}:{body}"},
  HmacSpec{.name = "github", .header = "X-Hub-Signature-256", .prefix = "sha256=",
           .event_id_header = "X-GitHub-Delivery"},
  HmacSpec{.name = "heroku", .header = "Heroku-Webhook-Hmac-SHA256", .encoding = base64,
           .event_id_header = "Heroku-Webhook-Id"},
  with_name(kMeta, "instagram"),
  HmacSpec{.name = "intercom", .header = "X-Hub-Signature", .algorithm = HA::sha1, .prefix = "sha1="},
  HmacSpec{.name = "jira", .header = "X-Hub-Signature", .prefix = "sha256="},
  HmacSpec{.name = "launch_darkly", .header = "X-LD-Signature"},
  HmacSpec{.name = "microsoft_teams", .header = "Authorization", .encoding = base64, .prefix = "HMAC ",
           .secret_format = SecretFormat::base64},
  HmacSpec{.name = "modern_treasury", .header = "X-Signature"},
  HmacSpec{.name = "mux", .header = "Mux-Signature", .list = key_value, .kv_timestamp = "t",
           .kv_signature = "v1", .timestamp_format = unix_seconds,
           .signed_template = "{timestamp}.{body}"},
  HmacSpec{.name = "paddle", .header = "Paddle-Signature", .list = key_value, .kv_separator = ';',
           .kv_timestamp = "ts", .kv_signature = "h1", .timestamp_format = unix_seconds,
           .signed_template = "{timestamp}:{body}"},  // Paddle SDKs default to 5 s; 300 s allows for relaying
  HmacSpec{.name = "pagerduty", .header = "X-PagerDuty-Signature", .list = comma, .prefix = "v1="},
  HmacSpec{.name = "pusher", .header = "X-Pusher-Signature"},
  HmacSpec{.name = "segment", .header = "X-Signature", .algorithm = HA::sha1},
  HmacSpec{.name = "sentry", .header = "Sentry-Hook-Signature", .event_id_header = "Request-ID"},
  HmacSpec{.name = "shopify", .header = "X-Shopify-Hmac-Sha256", .encoding = base64,
           .event_id_header = "X-Shopify-Webhook-Id"},
  HmacSpec{.name = "slack", .header = "X-Slack-Signature", .prefix = "v0=",
           .timestamp_header = "X-Slack-Request-Timestamp", .timestamp_format = unix_seconds,
           .signed_template = "v0:{timestamp}:{body}",
           .handshake = Handshake::slack_url_verification},
  HmacSpec{.name = "square", .header = "x-square-hmacsha256-signature", .encoding = base64,
           .signed_template = "{url}{body}"},
  with_name(kStandard, "standardwebhooks"),
  HmacSpec{.name = "stripe", .header = "Stripe-Signature", .list = key_value, .kv_timestamp = "t",
           .kv_signature = "v1", .timestamp_format = unix_seconds,
           .signed_template = "{timestamp}.{body}"},
  with_name(kSvix, "svix"),
  HmacSpec{.name = "terraform", .header = "X-TFE-Notification-Signature", .algorithm = HA::sha512},
  HmacSpec{.name = "tiktok", .header = "TikTok-Signature", .list = key_value, .kv_timestamp = "t",
           .kv_signature = "s", .timestamp_format = unix_seconds,
           .signed_template = "{timestamp}.{body}", .tolerance = seconds{180}},
  HmacSpec{.name = "twitter", .header = "X-Twitter-Webhooks-Signature", .encoding = base64,
           .prefix = "sha256=", .handshake = Handshake::twitter_crc},
  HmacSpec{.name = "typeform", .header = "Typeform-Signature", .encoding = base64, .prefix = "sha256="},
  with_name(kMeta, "whatsapp"),
  HmacSpec{.name = "woocommerce", .header = "X-WC-Webhook-Signature", .encoding = base64,
           .event_id_header = "X-WC-Webhook-Delivery-ID"},
  HmacSpec{.name = "worldline", .header = "X-GCS-Signature", .encoding = base64,
           .handshake = Handshake::worldline_verification},
  HmacSpec{.name = "xero", .header = "x-xero-signature", .encoding = base64},
  HmacSpec{.name = "zendesk", .header = "X-Zendesk-Webhook-Signature", .encoding = base64,
           .timestamp_header = "X-Zendesk-Webhook-Signature-Timestamp", .timestamp_format = iso8601,
           .signed_template = "{timestamp}{body}"},
  HmacSpec{.name = "zoom", .header = "x-zm-signature", .prefix = "v0=",
           .timestamp_header = "x-zm-request-timestamp", .timestamp_format = unix_seconds,
           .signed_template = "v0:{timestamp}:{body}", .tolerance = seconds{180},
           .handshake = Handshake::zoom_url_validation},
};
// clang-format on

core::Fallible<VerifierPtr> make(std::string_view provider, const VerifierOptions& options) {
  const auto* spec = find_hmac_spec(provider);
  if (spec == nullptr) {
    return core::Failure{
        .code = VerifyErrc::unknown_provider,
        .message = "no HMAC table row for provider '" + std::string{provider} + "'"};
  }
  auto key = detail::hmac_key(*spec, options.secret);
  if (!key) return key.error();
  return std::make_unique<detail::HmacVerifier>(*spec, std::move(*key), options);
}

}  // namespace

const HmacSpec* find_hmac_spec(std::string_view name) {
  const auto* const it =
      std::find_if(kTable.begin(), kTable.end(), [&](const HmacSpec& s) { return s.name == name; });
  return it == kTable.end() ? nullptr : &*it;
}

void add_hmac_table(Registry& registry) {
  for (const auto& spec : kTable) {
    // A row a custom family wraps (box) is registered by that family.
    if (!registry.contains(spec.name)) registry.add({describe_hmac_spec(spec), &make});
  }
}

}  // namespace relay::verify::providers
