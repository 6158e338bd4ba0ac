#include "edge/edge_state.hpp"

#include "relay/core/log.hpp"

namespace relay::edge {

EdgeState::EdgeState(boost::asio::any_io_executor ex, EdgeOptions opts)
    : executor(std::move(ex)),
      options(std::move(opts)),
      tokens(options.authtokens),
      router(options.domain),
      registry(options.authtokens, options.resume_grace, options.limits.max_tunnels_per_session,
               options.limits.max_sessions),
      log(core::logger("relay.edge")),
      connections_per_ip(options.limits.max_connections_per_ip, 0),
      requests_per_ip(options.limits.max_requests_per_ip, 0),
      pending_handshakes(options.limits.max_pending_handshakes_per_ip,
                         options.limits.max_pending_handshakes),
      trimmer(executor) {
  h2_options.ping_interval = options.ping_interval;
}

}  // namespace relay::edge
