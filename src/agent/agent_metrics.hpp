#pragma once

#include <string>
#include <string_view>

#include "relay/core/metrics.hpp"

namespace relay::agent {

struct Exchange;

// What the agent's inspector serves at /metrics (docs/inspector.md lists every series).
class AgentMetrics {
 public:
  AgentMetrics();

  // One request through a tunnel's pipeline, once it is over.
  void request(const Exchange& exchange, double seconds);
  // The agent's connection state changed ("online", "reconnecting", ...: Agent::Impl::state).
  void session_state(std::string_view state);
  void set_in_flight(std::string_view tunnel, double requests) {
    in_flight_.with({tunnel}).set(requests);
  }
  [[nodiscard]] std::string render() const { return registry_.render(); }

 private:
  core::metrics::Registry registry_;
  core::metrics::Family<core::metrics::Counter>& requests_;
  core::metrics::Family<core::metrics::Histogram>& duration_;
  core::metrics::Family<core::metrics::Counter>& relay_errors_;
  core::metrics::Family<core::metrics::Counter>& verifications_;
  core::metrics::Family<core::metrics::Counter>& received_bytes_;
  core::metrics::Family<core::metrics::Gauge>& in_flight_;
  core::metrics::Family<core::metrics::Gauge>& connected_;
  core::metrics::Family<core::metrics::Counter>& reconnects_;
};

}  // namespace relay::agent
