#include "cli/tunnel_reload.hpp"

#include <algorithm>
#include <tuple>

namespace relay::cli {

namespace {

auto verification_key(const std::optional<agent::WebhookVerification>& v) {
  return v ? std::make_tuple(true, v->provider, v->secret, v->tolerance, v->enforce, v->params)
           : std::make_tuple(false, std::string{}, std::string{},
                             std::optional<std::chrono::seconds>{}, true,
                             std::map<std::string, std::string>{});
}

auto basic_auth_key(const std::optional<agent::BasicAuth>& b) {
  return b ? std::make_tuple(true, b->user, b->password)
           : std::make_tuple(false, std::string{}, std::string{});
}

const agent::TunnelOptions* find(const std::vector<agent::TunnelOptions>& list,
                                 const std::string& name) {
  auto it = std::find_if(list.begin(), list.end(), [&](const auto& t) { return t.name == name; });
  return it == list.end() ? nullptr : &*it;
}

}  // namespace

bool same_tunnel(const agent::TunnelOptions& a, const agent::TunnelOptions& b) {
  return std::tie(a.name, a.proto, a.addr, a.url, a.host_header, a.request_header_add,
                  a.request_header_remove, a.upstream_tls_verify) ==
             std::tie(b.name, b.proto, b.addr, b.url, b.host_header, b.request_header_add,
                      b.request_header_remove, b.upstream_tls_verify) &&
         verification_key(a.verify_webhook) == verification_key(b.verify_webhook) &&
         basic_auth_key(a.basic_auth) == basic_auth_key(b.basic_auth) &&
         std::tie(a.buffer, a.buffer_resign, a.ip_allow, a.ip_deny) ==
             std::tie(b.buffer, b.buffer_resign, b.ip_allow, b.ip_deny);
}

TunnelReloadPlan plan_tunnel_reload(const std::vector<agent::TunnelOptions>& running,
                                    const std::vector<agent::TunnelOptions>& wanted) {
  TunnelReloadPlan plan;
  for (const auto& tunnel : running) {
    const auto* next = find(wanted, tunnel.name);
    if (next == nullptr) {
      plan.remove.push_back(tunnel.name);
    } else if (!same_tunnel(tunnel, *next)) {
      plan.remove.push_back(tunnel.name);
      plan.changed.push_back(tunnel.name);
    }
  }
  for (const auto& tunnel : wanted) {
    const auto* current = find(running, tunnel.name);
    if (current == nullptr || !same_tunnel(*current, tunnel)) plan.add.push_back(tunnel);
  }
  return plan;
}

}  // namespace relay::cli
