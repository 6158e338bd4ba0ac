#include "handshakes.hpp"

#include <nlohmann/json.hpp>

#include "relay/verify/crypto.hpp"
#include "verify_detail.hpp"

namespace relay::verify::detail {
namespace {

using nlohmann::json;

std::optional<json> parse_json(std::string_view body) {
  auto parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

bool is(std::string_view method, std::string_view expected) {
  return core::iequals(method, expected);
}

std::optional<std::string> string_at(const json& j, const json::json_pointer& p) {
  if (!j.contains(p) || !j.at(p).is_string()) return std::nullopt;
  return j.at(p).get<std::string>();
}

std::optional<HandshakeResponse> zoom(const Verifier& self, const core::RequestView& request,
                                      core::Clock::time_point now, std::string_view key) {
  if (!is(request.method, "POST")) return std::nullopt;
  const auto body = parse_json(request.body);
  if (!body || body->value("event", "") != "endpoint.url_validation") return std::nullopt;
  const auto plain = string_at(*body, json::json_pointer{"/payload/plainToken"});
  if (!plain || !self.verify(request, now).ok()) return std::nullopt;
  const json reply = {{"plainToken", *plain},
                      {"encryptedToken", hex_encode(hmac(HashAlgorithm::sha256, key, *plain))}};
  return json_response(200, reply.dump());
}

std::optional<HandshakeResponse> slack(const Verifier& self, const core::RequestView& request,
                                       core::Clock::time_point now) {
  if (!is(request.method, "POST")) return std::nullopt;
  const auto body = parse_json(request.body);
  if (!body || body->value("type", "") != "url_verification") return std::nullopt;
  const auto challenge = string_at(*body, json::json_pointer{"/challenge"});
  if (!challenge || !self.verify(request, now).ok()) return std::nullopt;
  return json_response(200, json{{"challenge", *challenge}}.dump());
}

std::optional<HandshakeResponse> discord(const Verifier& self, const core::RequestView& request,
                                         core::Clock::time_point now) {
  if (!is(request.method, "POST")) return std::nullopt;
  const auto body = parse_json(request.body);
  if (!body || !body->contains("type") || !(*body)["type"].is_number_integer() ||
      (*body)["type"].get<int>() != 1 || !self.verify(request, now).ok()) {
    return std::nullopt;
  }
  return json_response(200, R"({"type":1})");
}

std::optional<HandshakeResponse> meta(const core::RequestView& request,
                                      const VerifierOptions& options) {
  if (!is(request.method, "GET")) return std::nullopt;
  const auto mode = query_param(request.url, "hub.mode");
  const auto challenge = query_param(request.url, "hub.challenge");
  if (!mode || !challenge) return std::nullopt;
  const auto configured = options.params.find("verify_token");
  if (configured == options.params.end()) {
    return text_response(403,
                         "relay: cannot answer hub.challenge: set verify_token in the tunnel's "
                         "verify_webhook config to the Verify Token entered in the Meta app");
  }
  const auto token = query_param(request.url, "hub.verify_token");
  if (*mode != "subscribe" || !token || !constant_time_equal(*token, configured->second)) {
    return text_response(403, "relay: hub.verify_token does not match the configured verify_token");
  }
  return text_response(200, *challenge);
}

std::optional<HandshakeResponse> twitter(const core::RequestView& request, std::string_view key) {
  if (!is(request.method, "GET")) return std::nullopt;
  const auto token = query_param(request.url, "crc_token");
  if (!token) return std::nullopt;
  const auto response = "sha256=" + base64_encode(hmac(HashAlgorithm::sha256, key, *token));
  return json_response(200, json{{"response_token", response}}.dump());
}

std::optional<HandshakeResponse> echo_query(const core::RequestView& request,
                                            std::string_view param, bool nosniff) {
  if (!is(request.method, "GET")) return std::nullopt;
  auto value = query_param(request.url, param);
  if (!value) return std::nullopt;
  auto response = text_response(200, std::move(*value));
  if (nosniff) response.headers.add("X-Content-Type-Options", "nosniff");
  return response;
}

std::optional<HandshakeResponse> echo_header(const core::RequestView& request,
                                             std::string_view header, bool as_json) {
  if (!is(request.method, "GET")) return std::nullopt;
  const auto value = request.headers.get(header);
  if (!value) return std::nullopt;
  if (as_json) return json_response(200, json{{"verification", std::string{*value}}}.dump());
  return text_response(200, std::string{*value});
}

}  // namespace

HandshakeResponse json_response(int status, std::string body) {
  HandshakeResponse r{status, {}, std::move(body)};
  r.headers.add("Content-Type", "application/json");
  return r;
}

HandshakeResponse text_response(int status, std::string body) {
  HandshakeResponse r{status, {}, std::move(body)};
  r.headers.add("Content-Type", "text/plain");
  return r;
}

std::optional<HandshakeResponse> answer_handshake(Handshake kind, const Verifier& self,
                                                  const core::RequestView& request,
                                                  core::Clock::time_point now, std::string_view key,
                                                  const VerifierOptions& options) {
  switch (kind) {
    case Handshake::none:
      return std::nullopt;
    case Handshake::zoom_url_validation:
      return zoom(self, request, now, key);
    case Handshake::slack_url_verification:
      return slack(self, request, now);
    case Handshake::discord_ping:
      return discord(self, request, now);
    case Handshake::meta_hub_challenge:
      return meta(request, options);
    case Handshake::twitter_crc:
      return twitter(request, key);
    case Handshake::dropbox_challenge:
      return echo_query(request, "challenge", true);
    case Handshake::tokportal_challenge:
      return echo_query(request, "challenge", false);
    case Handshake::worldline_verification:
      return echo_header(request, "X-GCS-Webhooks-Endpoint-Verification", false);
    case Handshake::okta_verification:
      return echo_header(request, "X-Okta-Verification-Challenge", true);
  }
  return std::nullopt;
}

std::string_view describe(Handshake kind) {
  switch (kind) {
    case Handshake::none:
      return "";
    case Handshake::zoom_url_validation:
      return "endpoint.url_validation (plainToken/encryptedToken)";
    case Handshake::slack_url_verification:
      return "url_verification (echo challenge)";
    case Handshake::meta_hub_challenge:
      return "GET hub.challenge (needs verify_token)";
    case Handshake::twitter_crc:
      return "GET crc_token (CRC response_token)";
    case Handshake::dropbox_challenge:
      return "GET ?challenge= (echo)";
    case Handshake::worldline_verification:
      return "GET X-GCS-Webhooks-Endpoint-Verification (echo)";
    case Handshake::tokportal_challenge:
      return "GET ?challenge= (echo)";
    case Handshake::okta_verification:
      return "GET X-Okta-Verification-Challenge (JSON echo)";
    case Handshake::discord_ping:
      return "PING interaction (type 1 → {\"type\":1})";
  }
  return "";
}

}  // namespace relay::verify::detail
