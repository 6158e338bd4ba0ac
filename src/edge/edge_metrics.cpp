#include "edge/edge_metrics.hpp"

#include <algorithm>
#include <chrono>

#include "edge/agent_session.hpp"
#include "edge/edge_state.hpp"
#include "relay/core/error_page.hpp"

namespace relay::edge {

namespace codes = core::error_codes;

std::string_view limit_of(std::string_view code) {
  if (code == codes::too_many_connections) return "connections_per_ip";
  if (code == codes::too_many_requests) return "requests_per_ip";
  if (code == codes::tunnel_busy) return "streams_per_session";
  if (code == codes::request_timeout) return "request_time";
  if (code == codes::body_too_large) return "body_size";
  if (code == codes::headers_too_large) return "header_size";
  if (code == "too_many_auth_failures") return "auth_failures";
  if (code == "too_many_sessions") return "sessions";
  if (code == codes::queue_full) return "queue_size";
  return {};
}

EdgeMetrics::EdgeMetrics()
    : requests_(registry_.counter("relay_edge_requests_total",
                                  "Public requests answered, by tunnel and status class.",
                                  {"tunnel", "code"})),
      relay_errors_(registry_.counter("relay_edge_relay_errors_total",
                                      "Answers relay gave itself, by Relay-Error-Code.", {"code"})),
      limit_rejections_(registry_.counter(
          "relay_edge_limit_rejections_total",
          "Requests and connections refused by a limit (docs/security.md).", {"limit"})),
      duration_(registry_.histogram("relay_edge_request_duration_seconds",
                                    "Time from a request's first byte to the end of its answer.",
                                    {"tunnel"})),
      bytes_received_(registry_.counter("relay_edge_received_bytes_total",
                                        "Request body bytes received from public callers.",
                                        {"tunnel"})),
      bytes_sent_(registry_.counter("relay_edge_sent_bytes_total",
                                    "Response body bytes sent to public callers.", {"tunnel"})),
      agent_connects_(registry_.counter(
          "relay_edge_agent_connects_total",
          "Agent connect requests by result: connected, resumed, or the refusal's code.",
          {"result"})),
      sessions_(registry_.gauge("relay_edge_sessions", "Agent sessions, live or in resume grace.")),
      streams_(registry_.gauge("relay_edge_streams",
                               "Public requests in flight to agents (HTTP/2 streams).")),
      public_connections_(
          registry_.gauge("relay_edge_public_connections", "Open public connections.")),
      queue_deliveries_(registry_.gauge("relay_edge_queue_deliveries",
                                        "Durable delivery: deliveries kept, by tunnel and state.",
                                        {"tunnel", "state"})),
      queue_oldest_age_(registry_.gauge(
          "relay_edge_queue_oldest_age_seconds",
          "Durable delivery: age of the oldest queued delivery, by tunnel.", {"tunnel"})) {}

namespace {

// Where status_class(status) sits in TunnelSeries::requests: "1xx".."5xx", then "other".
std::size_t status_class_index(int status) {
  if (status < 100 || status > 599) return 5;
  return static_cast<std::size_t>(status / 100 - 1);
}

// The series in `slot`, found by `find` (its labels) the first time.
template <class Metric, class Find>
Metric& cached(Metric*& slot, Find find) {
  if (slot == nullptr) slot = &find();
  return *slot;
}

}  // namespace

EdgeMetrics::TunnelSeries* EdgeMetrics::series_for(std::string_view tunnel) {
  if (auto found = tunnels_.find(tunnel); found != tunnels_.end()) return &found->second;
  if (tunnels_.size() >= kMaxCachedTunnels) return nullptr;
  return &tunnels_.emplace(std::string(tunnel), TunnelSeries{}).first->second;
}

void EdgeMetrics::request(std::string_view tunnel, int status, std::string_view relay_code,
                          double seconds, std::uint64_t bytes_in, std::uint64_t bytes_out) {
  TunnelSeries uncached;  // past the cache's bound: this request's lookups are not kept
  TunnelSeries* series = series_for(tunnel);
  if (series == nullptr) series = &uncached;
  cached(series->requests[status_class_index(status)], [&]() -> core::metrics::Counter& {
    return requests_.with({tunnel, core::metrics::status_class(status)});
  }).inc();
  cached(series->duration, [&]() -> core::metrics::Histogram& {
    return duration_.with({tunnel});
  }).observe(seconds);
  if (bytes_in > 0) {
    cached(series->bytes_received, [&]() -> core::metrics::Counter& {
      return bytes_received_.with({tunnel});
    }).inc(bytes_in);
  }
  if (bytes_out > 0) {
    cached(series->bytes_sent, [&]() -> core::metrics::Counter& {
      return bytes_sent_.with({tunnel});
    }).inc(bytes_out);
  }
  if (!relay_code.empty()) {
    relay_errors_.with({relay_code}).inc();
    if (auto limit = limit_of(relay_code); !limit.empty()) limit_rejections_.with({limit}).inc();
  }
}

void EdgeMetrics::agent_connect(std::string_view result) {
  agent_connects_.with({result}).inc();
  if (auto limit = limit_of(result); !limit.empty()) limit_rejections_.with({limit}).inc();
}

boost::asio::awaitable<std::string> EdgeMetrics::render(const EdgeState& state) {
  // Durable delivery: each tunnel's deliveries by state and its oldest queued one's age. A
  // store that cannot answer leaves the series out rather than failing the scrape.
  auto stats = co_await state.store->deliveries().stats();
  queue_deliveries_.clear();
  queue_oldest_age_.clear();
  if (stats) {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    for (const auto& t : *stats) {
      queue_deliveries_.with({t.tunnel, "queued"}).set(static_cast<double>(t.queued));
      queue_deliveries_.with({t.tunnel, "delivering"}).set(static_cast<double>(t.delivering));
      queue_deliveries_.with({t.tunnel, "delivered"}).set(static_cast<double>(t.delivered));
      queue_deliveries_.with({t.tunnel, "dead"}).set(static_cast<double>(t.dead));
      const double age =
          t.oldest_queued_ms > 0 ? static_cast<double>(now_ms - t.oldest_queued_ms) / 1000 : 0;
      queue_oldest_age_.with({t.tunnel}).set(std::max(age, 0.0));
    }
  }
  sessions_.with({}).set(static_cast<double>(state.registry.session_count()));
  std::size_t streams = 0;
  for (const auto& session : state.registry.live_sessions()) streams += session->streams_in_use();
  streams_.with({}).set(static_cast<double>(streams));
  public_connections_.with({}).set(static_cast<double>(state.public_connections.size()));
  co_return registry_.render();
}

}  // namespace relay::edge
