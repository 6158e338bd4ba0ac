#include "inspect/api_handler.hpp"

#include "inspect/embedded_assets.hpp"
#include "inspect/host_guard.hpp"
#include "relay/core/metrics.hpp"

namespace relay::inspect::detail {
namespace {

constexpr std::string_view kRequests = "/api/requests/http";
constexpr std::string_view kTunnels = "/api/tunnels";

bool is_safe_method(std::string_view method) { return method == "GET" || method == "HEAD"; }

ApiResponse method_not_allowed(std::string_view allow) {
  auto r = error_response(405, "ERR_RELAY_METHOD_NOT_ALLOWED",
                          "this path does not take that method; allowed: " + std::string{allow});
  r.headers.add("Allow", std::string{allow});
  return r;
}

}  // namespace

boost::asio::awaitable<ApiResponse> ApiHandler::handle(ApiRequest request) {
  const auto host = request.headers.get("host");
  if (!host || !is_allowed_host(*host, bind_host_)) {
    co_return error_response(403, "ERR_RELAY_HOST_NOT_ALLOWED",
                             "the inspector answers only to a loopback Host (127.0.0.1, "
                             "localhost, [::1]); open it as http://127.0.0.1:<port>/");
  }
  const auto origin = request.headers.get("origin");
  if (!is_safe_method(request.method) && origin && !is_allowed_origin(*origin, bind_host_, port_)) {
    co_return error_response(403, "ERR_RELAY_ORIGIN_NOT_ALLOWED",
                             "requests from other sites or ports (Origin: " + std::string{*origin} +
                                 ") may not change the inspector's state; call the API from a "
                                 "script or from the inspector's own page");
  }
  const auto target = parse_target(request.target);
  try {
    co_return co_await route(request, target);
  } catch (const nlohmann::json::exception& e) {
    // A field of the wrong type in a well-formed JSON body.
    co_return error_response(
        400, "ERR_RELAY_BAD_JSON",
        std::string{"the JSON body has a field of the wrong type: "} + e.what());
  }
}

boost::asio::awaitable<ApiResponse> ApiHandler::route(const ApiRequest& request,
                                                      const Target& target) {
  const auto& path = target.path;
  const auto& method = request.method;

  if (path == kRequests) {
    if (is_safe_method(method)) co_return list_requests(target);
    if (method == "DELETE") {
      store_.clear();
      co_return no_content();
    }
    if (method == "POST") co_return co_await replay(request, {}, /*ngrok_style=*/true);
    co_return method_not_allowed("GET, POST, DELETE");
  }
  if (path.starts_with(kRequests) && path.size() > kRequests.size() &&
      path[kRequests.size()] == '/') {
    std::string rest = path.substr(kRequests.size() + 1);
    if (rest == "stream") {
      if (!is_safe_method(method)) co_return method_not_allowed("GET");
      ApiResponse r;
      r.event_stream = true;
      r.content_type = "text/event-stream";
      co_return r;
    }
    constexpr std::string_view kReplaySuffix = "/replay";
    if (rest.ends_with(kReplaySuffix)) {
      if (method != "POST") co_return method_not_allowed("POST");
      rest.resize(rest.size() - kReplaySuffix.size());
      co_return co_await replay(request, rest, /*ngrok_style=*/false);
    }
    if (is_safe_method(method)) co_return get_request(rest);
    co_return method_not_allowed("GET");
  }
  if (path == kTunnels) {
    if (is_safe_method(method)) co_return list_tunnels();
    if (method == "POST") co_return co_await add_tunnel(request);
    co_return method_not_allowed("GET, POST");
  }
  if (path.starts_with(kTunnels) && path.size() > kTunnels.size() + 1 &&
      path[kTunnels.size()] == '/') {
    std::string name = path.substr(kTunnels.size() + 1);
    if (is_safe_method(method)) co_return get_tunnel(name);
    if (method == "DELETE") co_return co_await remove_tunnel(std::move(name));
    co_return method_not_allowed("GET, DELETE");
  }
  if (path == "/api/deliveries" || path.starts_with("/api/deliveries/")) {
    co_return co_await deliveries(request, target);
  }
  if (path == "/api/status") {
    if (is_safe_method(method)) co_return status();
    co_return method_not_allowed("GET");
  }
  if (path == "/metrics" && metrics_) {  // Prometheus text format (operations)
    if (!is_safe_method(method)) co_return method_not_allowed("GET");
    ApiResponse r;
    r.content_type = std::string(core::metrics::kContentType);
    r.body = metrics_();
    co_return r;
  }
  if (path.starts_with("/api/") || path == "/api") {
    co_return error_response(404, "ERR_RELAY_NOT_FOUND",
                             "no such API path; see docs/inspector.md for the routes");
  }
  if (!is_safe_method(method)) co_return method_not_allowed("GET");
  co_return asset(path);
}

ApiResponse ApiHandler::asset(std::string_view path) const {
  // "/" and ngrok's UI path serve the single page; everything else is a file under /assets/.
  std::string_view file = "index.html";
  if (path != "/" && path != "/inspect/http" && path != "/index.html") {
    constexpr std::string_view kPrefix = "/assets/";
    if (!path.starts_with(kPrefix))
      file = {};
    else
      file = path.substr(kPrefix.size());
  }
  for (const auto& a : ui::embedded_assets()) {
    if (!file.empty() && a.path == file) {
      ApiResponse r;
      r.content_type = std::string{a.content_type};
      r.body = std::string{a.bytes};
      r.headers.add("Cache-Control", "no-cache");
      r.headers.add("X-Content-Type-Options", "nosniff");
      r.headers.add(
          "Content-Security-Policy",
          "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
          "frame-ancestors 'none'");
      return r;
    }
  }
  return error_response(404, "ERR_RELAY_NOT_FOUND",
                        "no such page; the inspector's UI is at /, its API under /api");
}

ApiResponse ApiHandler::status() const {
  const auto s = tunnels_.status();
  auto links = nlohmann::json::array();
  for (const auto& l : s.links) {
    links.push_back({{"edge", l.edge}, {"address", l.address}, {"state", l.state}});
  }
  return json_response(200,
                       {{"status", s.session},
                        {"session", {{"status", s.session}, {"edge", s.edge}, {"links", links}}},
                        {"version", s.version.empty() ? version_ : s.version},
                        {"web_addr", web_addr_},
                        {"tunnels", tunnels_.tunnels().size()},
                        {"requests", {{"count", store_.size()}, {"bytes", store_.bytes()}}},
                        {"uri", "/api/status"}});
}

}  // namespace relay::inspect::detail
