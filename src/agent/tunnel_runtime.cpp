#include "agent/tunnel_runtime.hpp"

#include "relay/net/tunnel_protocol.hpp"

namespace relay::agent {

net::protocol::TunnelRequest tunnel_request(const TunnelRuntime& t) {
  return {t.requested_name, t.options.proto,    "",
          t.options.buffer, t.options.ip_allow, t.options.ip_deny};
}

}  // namespace relay::agent
