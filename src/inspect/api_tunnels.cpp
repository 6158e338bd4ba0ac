#include "inspect/api_handler.hpp"
#include "relay/inspect/error.hpp"

namespace relay::inspect::detail {

using nlohmann::json;

json tunnel_json(const TunnelInfo& t) {
  const json zero_rates = {{"rate1", 0}, {"rate5", 0}, {"rate15", 0}, {"p50", 0},
                           {"p90", 0},   {"p95", 0},   {"p99", 0}};
  json conns = zero_rates;
  conns["count"] = t.metrics.connections;
  conns["gauge"] = t.metrics.open;
  json http = zero_rates;
  http["count"] = t.metrics.http_count;
  return {{"name", t.name},
          {"ID", t.name},
          {"uri", "/api/tunnels/" + t.name},
          {"public_url", t.public_url},
          {"proto", t.proto},
          {"config", {{"addr", t.addr}, {"inspect", true}}},
          {"metrics", {{"conns", conns}, {"http", http}}},
          {"relay", {{"verify_provider", t.verify_provider}, {"can_resign", t.can_resign}}}};
}

ApiResponse ApiHandler::list_tunnels() const {
  json list = json::array();
  for (const auto& t : tunnels_.tunnels()) list.push_back(tunnel_json(t));
  return json_response(200, {{"tunnels", std::move(list)}, {"uri", "/api/tunnels"}});
}

ApiResponse ApiHandler::get_tunnel(std::string_view name) const {
  const auto t = tunnels_.tunnel(name);
  if (!t) return error_response(Errc::tunnel_not_found);
  return json_response(200, tunnel_json(*t));
}

boost::asio::awaitable<ApiResponse> ApiHandler::add_tunnel(const ApiRequest& request) {
  const auto body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    co_return error_response(400, "ERR_RELAY_BAD_JSON",
                             "the body must be a JSON object such as "
                             "{\"name\":\"web\",\"proto\":\"http\",\"addr\":\"3000\"}");
  }
  TunnelSpec spec;
  spec.name = body.value("name", "");
  spec.proto = body.value("proto", "http");
  // ngrok accepts the address as a string or a bare port number.
  if (const auto it = body.find("addr"); it != body.end()) {
    spec.addr = it->is_number_integer() ? std::to_string(it->get<int>()) : it->get<std::string>();
  }
  for (const char* key : {"url", "domain", "hostname", "subdomain"}) {
    if (body.contains(key) && spec.url.empty()) spec.url = body[key].get<std::string>();
  }
  if (const auto it = body.find("verify_webhook"); it != body.end() && it->is_object()) {
    spec.verify_provider = it->value("provider", "");
    spec.verify_secret = it->value("secret", "");
  }
  if (spec.name.empty() || spec.addr.empty()) {
    co_return error_response(400, "ERR_RELAY_INVALID_TUNNEL",
                             "a tunnel needs \"name\" and \"addr\" (e.g. \"3000\" or "
                             "\"localhost:3000\")");
  }
  if (spec.proto != "http" && spec.proto != "https") {
    co_return error_response(400, "ERR_RELAY_INVALID_TUNNEL",
                             R"(relay tunnels only HTTP: set "proto" to "http")");
  }
  if (tunnels_.tunnel(spec.name)) co_return error_response(Errc::tunnel_exists);
  auto result = co_await tunnels_.add_tunnel(std::move(spec));
  if (!result) co_return error_response(result.error());
  co_return json_response(201, tunnel_json(*result));
}

boost::asio::awaitable<ApiResponse> ApiHandler::remove_tunnel(std::string name) {
  if (!tunnels_.tunnel(name)) co_return error_response(Errc::tunnel_not_found);
  auto result = co_await tunnels_.remove_tunnel(std::move(name));
  if (!result) co_return error_response(result.error());
  co_return no_content();
}

}  // namespace relay::inspect::detail
