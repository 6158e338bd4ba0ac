#pragma once

#include <array>
#include <string>
#include <string_view>

#include "relay/core/metrics.hpp"

namespace relay::agent {

struct Exchange;

// The series one tunnel's requests update, each found at its first use and then kept: a lookup
// by label values copies them and takes the family's lock (four lookups per request cost ~2,000
// instructions). Created lazily, so /metrics lists a series only once something counted in it.
struct TunnelSeries {
  core::metrics::Gauge* in_flight = nullptr;
  core::metrics::Histogram* duration = nullptr;
  std::array<core::metrics::Counter*, 6> requests{};  // by status class: 1xx ... 5xx, other
};

// What the agent's inspector serves at /metrics (docs/inspector.md lists every series).
class AgentMetrics {
 public:
  AgentMetrics();

  // One request through a tunnel's pipeline, once it is over; `series` is its tunnel's.
  void request(const Exchange& exchange, double seconds, TunnelSeries& series);
  // The agent's connection state changed ("online", "reconnecting", ...: Agent::Impl::state).
  void session_state(std::string_view state);
  void set_in_flight(std::string_view tunnel, double requests, TunnelSeries& series) {
    if (series.in_flight == nullptr) series.in_flight = &in_flight_.with({tunnel});
    series.in_flight->set(requests);
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
