#include <charconv>

#include "inspect/api_handler.hpp"
#include "inspect/capture_json.hpp"
#include "relay/inspect/error.hpp"
#include "relay/verify/crypto.hpp"

namespace relay::inspect::detail {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultLimit = 50;  // ngrok's default

// {"Name": "v"} or {"Name": ["v1", "v2"]} → fields in order.
std::vector<std::pair<std::string, std::string>> header_pairs(const json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : j.items()) {
    if (value.is_array()) {
      for (const auto& v : value) out.emplace_back(name, v.get<std::string>());
    } else {
      out.emplace_back(name, value.get<std::string>());
    }
  }
  return out;
}

// The body of POST /api/requests/http/{id}/replay. Returns an error message when malformed.
std::string parse_modifications(const json& body, ReplayModifications& mods) {
  if (body.contains("method")) mods.method = body["method"].get<std::string>();
  if (body.contains("path")) mods.path = body["path"].get<std::string>();
  if (body.contains("headers") && !body["headers"].is_null()) {
    if (!body["headers"].is_object()) return "\"headers\" must be an object {name: value}";
    core::Headers headers;
    for (auto& [name, value] : header_pairs(body["headers"])) headers.add(name, value);
    mods.headers = std::move(headers);
  }
  if (body.contains("set_headers")) {
    if (!body["set_headers"].is_object()) return "\"set_headers\" must be an object {name: value}";
    mods.set_headers = header_pairs(body["set_headers"]);
  }
  if (body.contains("remove_headers")) {
    mods.remove_headers = body["remove_headers"].get<std::vector<std::string>>();
  }
  if (body.contains("body") && !body["body"].is_null()) mods.body = body["body"].get<std::string>();
  if (body.contains("body_base64")) {
    auto decoded = verify::base64_decode(body["body_base64"].get<std::string>());
    if (!decoded) return "\"body_base64\" is not valid base64";
    mods.body = std::move(*decoded);
  }
  mods.resign = body.value("resign", false);
  mods.tunnel = body.value("tunnel_name", "");
  if (mods.method && mods.method->empty()) return "\"method\" may not be empty";
  return modifications_error(mods);
}

}  // namespace

ApiResponse ApiHandler::list_requests(const Target& target) const {
  std::size_t limit = kDefaultLimit;
  if (const auto it = target.query.find("limit"); it != target.query.end()) {
    const auto& text = it->second;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      return error_response(400, "ERR_RELAY_BAD_QUERY",
                            "\"limit\" must be a whole number, e.g. ?limit=20");
    }
  }
  std::string tunnel;
  if (const auto it = target.query.find("tunnel_name"); it != target.query.end()) {
    tunnel = it->second;
  }
  json list = json::array();
  for (const auto& c : store_.list(limit, tunnel)) list.push_back(to_api_json(*c));
  return json_response(200, {{"uri", "/api/requests/http"}, {"requests", std::move(list)}});
}

ApiResponse ApiHandler::get_request(std::string_view id) const {
  const auto capture = store_.find(id);
  if (!capture) return error_response(Errc::capture_not_found);
  return json_response(200, to_api_json(*capture));
}

boost::asio::awaitable<ApiResponse> ApiHandler::replay(const ApiRequest& request, std::string id,
                                                       bool ngrok_style) {
  json body = json::object();
  if (!request.body.empty() || ngrok_style) {
    body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) {
      co_return error_response(400, "ERR_RELAY_BAD_JSON",
                               ngrok_style ? "the body must be a JSON object {\"id\": \"<request "
                                             "id>\", \"tunnel_name\": \"<optional>\"}"
                                           : "the body must be a JSON object of modifications, "
                                             "e.g. {\"body\": \"...\", \"resign\": true}");
    }
  }
  ReplayModifications mods;
  if (ngrok_style) {
    id = body.value("id", "");
    mods.tunnel = body.value("tunnel_name", "");
    if (id.empty()) {
      co_return error_response(400, "ERR_RELAY_MISSING_ID",
                               R"(give the id of the request to replay: {"id": "..."})");
    }
  } else if (auto problem = parse_modifications(body, mods); !problem.empty()) {
    co_return error_response(400, "ERR_RELAY_BAD_MODIFICATIONS", problem);
  }

  // Keep our own reference: the store may drop or clear the capture while the replay runs.
  const auto original = store_.find(id);
  if (!original) co_return error_response(Errc::capture_not_found);
  if (!original->complete()) co_return error_response(Errc::capture_incomplete);
  if (!mods.body && original->request_body.truncated) {
    co_return error_response(Errc::capture_truncated);
  }
  const auto tunnel = tunnels_.tunnel(mods.tunnel.empty() ? original->tunnel : mods.tunnel);
  if (!tunnel) co_return error_response(Errc::tunnel_not_found);
  if (mods.resign && !tunnel->can_resign) co_return error_response(Errc::resign_unavailable);

  auto result = co_await replayer_.replay(*original, mods);
  if (!result) co_return error_response(result.error());
  if (ngrok_style) co_return no_content();
  if (const auto replayed = store_.find(*result))
    co_return json_response(200, to_api_json(*replayed));
  co_return json_response(200, {{"id", *result}, {"uri", "/api/requests/http/" + *result}});
}

}  // namespace relay::inspect::detail
