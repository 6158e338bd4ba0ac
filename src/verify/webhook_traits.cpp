#include "relay/verify/webhook_traits.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <nlohmann/json.hpp>

#include "verify_detail.hpp"

namespace relay::verify {
namespace {

using nlohmann::json;

// Handshake bodies are a few hundred bytes; a bigger one is an event, not a handshake, and is
// not parsed for the question.
constexpr std::size_t kMaxHandshakeBody = 64 * 1024;

std::optional<json> parse_object(std::string_view body) {
  auto parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

bool string_member_is(const json& object, const char* key, std::string_view expected) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() && it->get_ref<const std::string&>() == expected;
}

bool get_handshake(const core::RequestView& request) {
  constexpr std::array<std::string_view, 3> kParams = {"challenge", "hub.challenge", "crc_token"};
  constexpr std::array<std::string_view, 2> kHeaders = {"X-GCS-Webhooks-Endpoint-Verification",
                                                        "X-Okta-Verification-Challenge"};
  return std::ranges::any_of(
             kParams,
             [&](auto param) { return detail::query_param(request.url, param).has_value(); }) ||
         std::ranges::any_of(kHeaders,
                             [&](auto header) { return request.headers.contains(header); });
}

bool post_handshake(const core::RequestView& request) {
  const auto body = request.body;
  if (body.empty() || body.size() > kMaxHandshakeBody) return false;
  const bool zoom_or_slack = body.find("url_validation") != std::string_view::npos ||
                             body.find("url_verification") != std::string_view::npos;
  const bool discord = request.headers.contains("X-Signature-Ed25519");
  if (!zoom_or_slack && !discord) return false;  // the common case: no parse at all
  const auto object = parse_object(body);
  if (!object) return false;
  if (string_member_is(*object, "event", "endpoint.url_validation")) return true;
  if (string_member_is(*object, "type", "url_verification")) return true;
  if (discord) {
    const auto type = object->find("type");
    return type != object->end() && type->is_number_integer() && type->get<long long>() == 1;
  }
  return false;
}

// An id header, and the header that must come with it when the id header's name is too
// generic to trust alone ("" none).
struct IdHeader {
  std::string_view name;
  std::string_view requires_header;
};
constexpr std::array kIdHeaders = {
    IdHeader{"TokPortal-Event-Id", ""},
    IdHeader{"svix-id", ""},
    IdHeader{"webhook-id", ""},  // Standard Webhooks
    IdHeader{"X-GitHub-Delivery", ""},
    IdHeader{"X-Shopify-Webhook-Id", ""},
    IdHeader{"Linear-Delivery", ""},
    IdHeader{"Heroku-Webhook-Id", ""},
    IdHeader{"X-WC-Webhook-Delivery-ID", ""},
    IdHeader{"I-Twilio-Idempotency-Token", ""},
    IdHeader{"Request-ID", "Sentry-Hook-Signature"},
};

std::string usable(std::string_view id) {
  while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.remove_prefix(1);
  while (!id.empty() && (id.back() == ' ' || id.back() == '\t')) id.remove_suffix(1);
  if (id.size() > kMaxEventIdBytes) return {};
  return std::string(id);
}

}  // namespace

bool looks_like_handshake(const core::RequestView& request) {
  if (core::iequals(request.method, "GET")) return get_handshake(request);
  if (core::iequals(request.method, "POST")) return post_handshake(request);
  return false;
}

std::string event_id(const core::RequestView& request) {
  for (const auto& header : kIdHeaders) {
    if (!header.requires_header.empty() && !request.headers.contains(header.requires_header)) {
      continue;
    }
    if (const auto value = request.headers.get(header.name)) {
      if (auto id = usable(*value); !id.empty()) return id;
    }
  }
  if (request.headers.contains("Stripe-Signature")) {
    // Stripe's retries of one event carry the same event object ("id": "evt_...").
    if (const auto object = parse_object(request.body)) {
      const auto id = object->find("id");
      if (id != object->end() && id->is_string()) return usable(id->get_ref<const std::string&>());
    }
  }
  return {};
}

}  // namespace relay::verify
