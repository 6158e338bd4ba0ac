#include "edge/request_head.hpp"

#include <vector>

#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {

namespace http = boost::beast::http;
namespace protocol = net::protocol;

namespace {

bool listed_in_connection(std::string_view connection, std::string_view lower_name) {
  // Connection: a comma-separated list of field names that are hop-by-hop for this message.
  std::size_t pos = 0;
  while (pos <= connection.size()) {
    auto comma = connection.find(',', pos);
    auto token = connection.substr(
        pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
      token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (!token.empty() && core::iequals(token, lower_name)) return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

// The edge decides who the caller is (relay-remote-addr; the agent builds X-Forwarded-For,
// X-Real-IP and Forwarded from it): a caller's own values would let it claim any address.
bool is_edge_owned(std::string_view lower_name) {
  return lower_name == protocol::kTunnelHeader || lower_name == protocol::kRequestIdHeader ||
         lower_name == protocol::kRemoteAddrHeader || lower_name == "x-forwarded-for" ||
         lower_name == "x-real-ip" || lower_name == "forwarded";
}

}  // namespace

std::string_view origin_form(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() && core::iequals(target.substr(0, scheme.size()), scheme)) {
      auto rest = target.substr(scheme.size());
      auto slash = rest.find_first_of("/?");
      if (slash == std::string_view::npos) return "/";
      return rest.substr(slash);  // "?q" alone is rare and still a valid path for the app
    }
  }
  return target;
}

std::string request_target_error(const http::request_header<>& request) {
  if (request.method() == http::verb::connect) {
    return "CONNECT is not supported: relay forwards HTTP requests to an app, it is not a proxy";
  }
  std::string_view target = origin_form(request.target());
  if (target == "*" && request.method() == http::verb::options) return {};
  if (target.empty() || (target.front() != '/' && target.front() != '?')) {
    return "the request target must be a path starting with '/'";
  }
  return {};
}

core::Headers make_stream_headers(const http::request_header<>& request,
                                  const ForwardContext& context) {
  core::Headers out;
  out.reserve(8 + static_cast<std::size_t>(std::distance(request.begin(), request.end())));
  std::string_view target = origin_form(request.target());
  out.add(":method", std::string(request.method_string()));
  out.add(":scheme", std::string(context.scheme));
  out.add(":authority", std::string(request[http::field::host]));
  out.add(":path", target.front() == '?' ? "/" + std::string(target) : std::string(target));

  std::string_view connection = request[http::field::connection];
  const bool chunked = !request[http::field::transfer_encoding].empty();
  for (const auto& field : request) {
    std::string name = core::to_lower(field.name_string());
    if (protocol::is_hop_by_hop(name) || name == "host" || name == "expect" ||
        is_edge_owned(name)) {
      continue;
    }
    if (name == "content-length" && chunked) continue;  // chunked wins (RFC 9112 §6.3)
    if (!connection.empty() && listed_in_connection(connection, name)) continue;
    out.add(std::move(name), std::string(field.value()));
  }
  out.add(std::string(protocol::kTunnelHeader), std::string(context.tunnel));
  out.add(std::string(protocol::kRequestIdHeader), std::string(context.request_id));
  out.add(std::string(protocol::kRemoteAddrHeader), std::string(context.remote_addr));
  return out;
}

}  // namespace relay::edge
