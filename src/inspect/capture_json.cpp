#include "inspect/capture_json.hpp"

#include <cctype>
#include <ctime>

#include <fmt/format.h>

#include "relay/core/error_page.hpp"
#include "relay/verify/crypto.hpp"

namespace relay::inspect::detail {
namespace {

using nlohmann::json;

std::string raw_message(std::string_view first_line, const core::Headers& headers,
                        std::string_view body) {
  std::string raw{first_line};
  raw += "\r\n";
  for (const auto& f : headers) raw += fmt::format("{}: {}\r\n", f.name, f.value);
  raw += "\r\n";
  raw += body;
  return raw;
}

json body_json(const CapturedBody& body) {
  return {{"data", verify::base64_encode(body.data)},
          {"size", body.size},
          {"truncated", body.truncated}};
}

CapturedBody body_from(const json& j) {
  CapturedBody body;
  body.data = verify::base64_decode(j.at("data").get<std::string>()).value_or("");
  body.size = j.at("size").get<std::size_t>();
  body.truncated = j.at("truncated").get<bool>();
  return body;
}

json header_list(const core::Headers& headers) {
  json out = json::array();
  for (const auto& f : headers) out.push_back({f.name, f.value});
  return out;
}

core::Headers headers_from(const json& j) {
  core::Headers headers;
  for (const auto& pair : j)
    headers.add(pair.at(0).get<std::string>(), pair.at(1).get<std::string>());
  return headers;
}

json verdict_json(const std::optional<verify::Verdict>& verdict) {
  if (!verdict) return nullptr;
  json j = {{"ok", verdict->ok()},
            {"code", verify::to_string(verdict->code)},
            {"provider", verdict->provider},
            {"reason", verdict->reason}};
  j["event_id"] = verdict->event_id ? json(*verdict->event_id) : json(nullptr);
  return j;
}

std::optional<verify::Verdict> verdict_from(const json& j) {
  if (j.is_null()) return std::nullopt;
  verify::Verdict v;
  const auto code = j.at("code").get<std::string>();
  for (int c = 0; c <= static_cast<int>(verify::VerdictCode::missing_secret); ++c) {
    if (verify::to_string(static_cast<verify::VerdictCode>(c)) == code) {
      v.code = static_cast<verify::VerdictCode>(c);
    }
  }
  v.provider = j.value("provider", "");
  v.reason = j.value("reason", "");
  if (j.contains("event_id") && j["event_id"].is_string())
    v.event_id = j["event_id"].get<std::string>();
  return v;
}

}  // namespace

std::string canonical_header_name(std::string_view name) {
  std::string out{name};
  bool upper = true;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    c = static_cast<char>(upper ? std::toupper(u) : std::tolower(u));
    upper = c == '-';
  }
  return out;
}

json headers_to_json(const core::Headers& headers) {
  json out = json::object();
  for (const auto& f : headers) out[canonical_header_name(f.name)].push_back(f.value);
  return out;
}

std::string to_rfc3339(core::Clock::time_point t) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const auto secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us % 1'000'000);
}

json to_api_json(const Capture& c) {
  json request = {
      {"method", c.method},
      {"proto", c.proto},
      {"headers", headers_to_json(c.request_headers)},
      {"uri", c.url},
      {"raw", verify::base64_encode(raw_message(fmt::format("{} {} {}", c.method, c.url, c.proto),
                                                c.request_headers, c.request_body.data))},
      {"body", verify::base64_encode(c.request_body.data)},
      {"body_size", c.request_body.size},
      {"truncated", c.request_body.truncated},
  };
  json response = nullptr;
  if (c.status != 0) {
    const auto status_line = fmt::format("{} {}", c.status, core::reason_phrase(c.status));
    response = {
        {"status", status_line},
        {"status_code", c.status},
        {"proto", c.proto},
        {"headers", headers_to_json(c.response_headers)},
        {"raw", verify::base64_encode(raw_message(fmt::format("{} {}", c.proto, status_line),
                                                  c.response_headers, c.response_body.data))},
        {"body", verify::base64_encode(c.response_body.data)},
        {"body_size", c.response_body.size},
        {"truncated", c.response_body.truncated},
    };
  }
  return {
      {"uri", "/api/requests/http/" + c.id},
      {"id", c.id},
      {"tunnel_name", c.tunnel},
      {"remote_addr", c.remote_addr},
      {"start", to_rfc3339(c.start)},
      {"duration", std::chrono::duration_cast<std::chrono::nanoseconds>(c.duration).count()},
      {"request", std::move(request)},
      {"response", std::move(response)},
      {"relay",
       {{"public_url", c.public_url},
        {"complete", c.complete()},
        {"verdict", verdict_json(c.verdict)},
        {"duplicate", c.duplicate},
        {"replay", c.replay},
        {"replay_of", c.replay_of},
        {"delivery_id", c.delivery_id},
        {"delivery_attempt", c.delivery_attempt},
        {"error_code", c.error_code},
        {"error", c.error}}},
  };
}

json to_storage_json(const Capture& c) {
  return {
      {"v", 1},
      {"id", c.id},
      {"tunnel", c.tunnel},
      {"start_us",
       std::chrono::duration_cast<std::chrono::microseconds>(c.start.time_since_epoch()).count()},
      {"duration_us", c.duration.count()},
      {"remote_addr", c.remote_addr},
      {"public_url", c.public_url},
      {"method", c.method},
      {"url", c.url},
      {"proto", c.proto},
      {"request_headers", header_list(c.request_headers)},
      {"request_body", body_json(c.request_body)},
      {"status", c.status},
      {"response_headers", header_list(c.response_headers)},
      {"response_body", body_json(c.response_body)},
      {"verdict", verdict_json(c.verdict)},
      {"duplicate", c.duplicate},
      {"replay", c.replay},
      {"replay_of", c.replay_of},
      {"error_code", c.error_code},
      {"error", c.error},
      {"delivery_id", c.delivery_id},
      {"delivery_attempt", c.delivery_attempt},
  };
}

std::optional<Capture> from_storage_json(const json& j) {
  try {
    if (j.at("v").get<int>() != 1) return std::nullopt;
    Capture c;
    c.id = j.at("id").get<std::string>();
    c.tunnel = j.at("tunnel").get<std::string>();
    c.start = core::Clock::time_point{std::chrono::duration_cast<core::Clock::duration>(
        std::chrono::microseconds{j.at("start_us").get<std::int64_t>()})};
    c.duration = std::chrono::microseconds{j.at("duration_us").get<std::int64_t>()};
    c.remote_addr = j.at("remote_addr").get<std::string>();
    c.public_url = j.at("public_url").get<std::string>();
    c.method = j.at("method").get<std::string>();
    c.url = j.at("url").get<std::string>();
    c.proto = j.at("proto").get<std::string>();
    c.request_headers = headers_from(j.at("request_headers"));
    c.request_body = body_from(j.at("request_body"));
    c.status = j.at("status").get<int>();
    c.response_headers = headers_from(j.at("response_headers"));
    c.response_body = body_from(j.at("response_body"));
    c.verdict = verdict_from(j.at("verdict"));
    c.duplicate = j.at("duplicate").get<bool>();
    c.replay = j.at("replay").get<bool>();
    c.replay_of = j.at("replay_of").get<std::string>();
    c.error_code = j.at("error_code").get<std::string>();
    c.error = j.at("error").get<std::string>();
    c.delivery_id = j.value("delivery_id", std::string());
    c.delivery_attempt = j.value("delivery_attempt", 0);
    return c;
  } catch (const json::exception&) {
    return std::nullopt;  // a damaged or foreign row: skipped, the rest of the history loads
  }
}

}  // namespace relay::inspect::detail
