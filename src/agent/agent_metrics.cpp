#include "agent/agent_metrics.hpp"

#include "agent/exchange.hpp"
#include "agent/tunnel_runtime.hpp"

namespace relay::agent {

AgentMetrics::AgentMetrics()
    : requests_(registry_.counter("relay_agent_requests_total",
                                  "Requests through the agent, by tunnel and status class of the "
                                  "answer (\"other\": the caller went away unanswered).",
                                  {"tunnel", "code"})),
      duration_(registry_.histogram("relay_agent_request_duration_seconds",
                                    "Time from a stream's arrival to the end of its answer.",
                                    {"tunnel"})),
      relay_errors_(registry_.counter("relay_agent_relay_errors_total",
                                      "Answers the agent gave itself, by Relay-Error-Code.",
                                      {"tunnel", "code"})),
      verifications_(registry_.counter(
          "relay_agent_verifications_total",
          "Webhook signature checks by provider and verdict (valid, signature_mismatch, ...).",
          {"provider", "verdict"})),
      received_bytes_(registry_.counter("relay_agent_received_bytes_total",
                                        "Request body bytes the agent buffered (verified "
                                        "tunnels) or captured.",
                                        {"tunnel"})),
      in_flight_(registry_.gauge("relay_agent_requests_in_flight",
                                 "Requests in a tunnel's pipeline now.", {"tunnel"})),
      connected_(registry_.gauge("relay_agent_session_connected",
                                 "1 while the agent holds a session with its edge.")),
      reconnects_(registry_.counter("relay_agent_reconnects_total",
                                    "Times the agent lost its edge or failed to reach it and "
                                    "retried.")) {
  connected_.with({}).set(0);
  reconnects_.with({});
}

void AgentMetrics::request(const Exchange& x, double seconds, TunnelSeries& series) {
  const std::string& tunnel = x.tunnel->options.name;
  const auto status_class = core::metrics::status_class(x.status);
  // The same classes as status_class: 1xx ... 5xx, then "other".
  const std::size_t index =
      x.status < 100 || x.status > 599 ? 5 : static_cast<std::size_t>(x.status / 100 - 1);
  auto*& requests = series.requests.at(index);
  if (requests == nullptr) requests = &requests_.with({tunnel, status_class});
  requests->inc();
  if (series.duration == nullptr) series.duration = &duration_.with({tunnel});
  series.duration->observe(seconds);
  if (!x.relay_code.empty()) relay_errors_.with({tunnel, x.relay_code}).inc();
  if (x.verdict) {
    verifications_.with({x.verdict->provider, verify::to_string(x.verdict->code)}).inc();
  }
  if (!x.body.empty()) received_bytes_.with({tunnel}).inc(x.body.size());
}

void AgentMetrics::session_state(std::string_view state) {
  const bool online = state == "online";
  connected_.with({}).set(online ? 1 : 0);
  if (state == "reconnecting") reconnects_.with({}).inc();
}

}  // namespace relay::agent
