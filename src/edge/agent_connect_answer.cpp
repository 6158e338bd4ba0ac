#include "edge/agent_connect_answer.hpp"

#include <fmt/format.h>
#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

#include "relay/core/error_page.hpp"
#include "relay/core/headers.hpp"

namespace relay::edge {

namespace http = boost::beast::http;
namespace protocol = net::protocol;

std::optional<Refusal> connect_read_refusal(const boost::system::error_code& ec) {
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    return Refusal{413, "too_large", "the connect request is too large"};
  }
  if (ec == http::error::end_of_stream || ec == boost::asio::error::operation_aborted ||
      ec == boost::asio::error::bad_descriptor) {
    return std::nullopt;  // the agent left, or the handshake deadline closed the socket
  }
  return Refusal{400, "bad_request", "the connect request is not valid HTTP/1.1"};
}

Refusal shutting_down_refusal() {
  return Refusal{503, "shutting_down", "the edge is shutting down; retry in a moment"};
}

Refusable<void> resolve_hostnames(const HostRouter& router,
                                  std::vector<protocol::TunnelRequest>& tunnels) {
  for (auto& t : tunnels) {
    if (t.hostname.empty()) continue;
    auto name = router.route(t.hostname);
    if (!name || (!t.name.empty() && core::to_lower(t.name) != *name)) {
      return Refusal{400, "bad_hostname",
                     fmt::format("hostname '{}' is not served by this edge; use NAME.{}",
                                 t.hostname, router.domain())};
    }
    t.name = *name;
    t.hostname.clear();
  }
  return {};
}

Refusable<ConnectPlan> plan_connect(Refusable<ConnectAccepted> checked, bool stopping,
                                    const HostRouter& router) {
  if (!checked) return std::move(checked.error());
  if (stopping) return shutting_down_refusal();
  ConnectPlan plan{.request = std::move(checked->request), .token = checked->token, .ip_rules = {}};
  if (auto resolved = resolve_hostnames(router, plan.request.tunnels); !resolved) {
    return std::move(resolved.error());
  }
  auto rules = parse_tunnel_ip_rules(plan.request.tunnels);
  if (!rules) return Refusal{400, "bad_ip_rule", rules.error().message};
  plan.ip_rules = std::move(*rules);
  return plan;
}

std::string token_label(const AuthToken* token) {
  return token != nullptr ? token->label : std::string("anonymous");
}

std::string_view connect_outcome(const SessionRegistry::Grant& grant) {
  return grant.resumed ? "resumed" : "connected";
}

RefusalReport refusal_report(const Refusal& refusal) {
  return refusal.status == 401 ? RefusalReport::auth_failure : RefusalReport::warning;
}

std::string refusal_response(const Refusal& refusal, std::chrono::seconds retry_after) {
  std::string body = protocol::serialize(protocol::ErrorBody{refusal.code, refusal.message});
  std::string answer = fmt::format(
      "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: "
      "close\r\n",
      refusal.status, core::reason_phrase(refusal.status), body.size());
  if (retry_after.count() > 0) answer += fmt::format("retry-after: {}\r\n", retry_after.count());
  answer += "\r\n";
  answer += body;
  return answer;
}

}  // namespace relay::edge
