#pragma once

#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>

namespace relay::agent {
class Agent;
}

namespace relay::cli {

class EmbeddedEdge;

struct AgentLifetimeHooks {
  std::function<void()> on_stopping;  // the first SIGINT/SIGTERM, before agent.stop()
  std::function<void()> on_finished;  // run() returned; before the embedded edge drains
};

// What `relay http` and `relay start` share: runs `agent` on `io` (one thread) until it stops.
// SIGINT/SIGTERM stop it gracefully and a second signal stops at once; then the embedded edge,
// if any, drains. A permanent agent error or an escaped exception is printed after `prefix`
// ("relay: ") and gives exit code 1; otherwise 0.
int run_agent_until_stopped(boost::asio::io_context& io, agent::Agent& agent,
                            EmbeddedEdge* embedded, const std::string& prefix,
                            AgentLifetimeHooks hooks = {});

}  // namespace relay::cli
