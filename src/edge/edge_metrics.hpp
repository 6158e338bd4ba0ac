#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>

#include "relay/core/metrics.hpp"

namespace relay::edge {

struct EdgeState;

// What `relay edge --metrics-listen` serves (docs/deployment.md lists every series). Counters
// are bumped where the edge already decides (one call per public request, per agent connect);
// gauges are read from the edge's state when scraped.
class EdgeMetrics {
 public:
  EdgeMetrics();

  // One public request, when its log line is written. `tunnel` is "" when none was routed.
  void request(std::string_view tunnel, int status, std::string_view relay_code, double seconds,
               std::uint64_t bytes_in, std::uint64_t bytes_out);
  // An agent's connect: "connected", "resumed", or the refusal's code ("unauthorized", …).
  void agent_connect(std::string_view result);
  // The Prometheus text, gauges refreshed from `state` first; the durable delivery queue's
  // through the store, which answers asynchronously.
  boost::asio::awaitable<std::string> render(const EdgeState& state);

 private:
  // The series one tunnel's requests update, each found by its labels at first use and then
  // kept: a label lookup per request (a std::map of string vectors under a mutex) cost ~2k
  // instructions. Null until first needed, so no series appears before it counts something.
  struct TunnelSeries {
    std::array<core::metrics::Counter*, 6> requests{};  // by status class (status_class_index)
    core::metrics::Histogram* duration = nullptr;
    core::metrics::Counter* bytes_received = nullptr;
    core::metrics::Counter* bytes_sent = nullptr;
  };
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const {
      return std::hash<std::string_view>{}(name);
    }
  };
  // The tunnel's cached series; nullptr once kMaxCachedTunnels names are cached (a flood of
  // made-up names then takes the label lookup instead of growing this cache too).
  TunnelSeries* series_for(std::string_view tunnel);
  static constexpr std::size_t kMaxCachedTunnels = 10'000;

  core::metrics::Registry registry_;
  core::metrics::Family<core::metrics::Counter>& requests_;
  core::metrics::Family<core::metrics::Counter>& relay_errors_;
  core::metrics::Family<core::metrics::Counter>& limit_rejections_;
  core::metrics::Family<core::metrics::Histogram>& duration_;
  core::metrics::Family<core::metrics::Counter>& bytes_received_;
  core::metrics::Family<core::metrics::Counter>& bytes_sent_;
  core::metrics::Family<core::metrics::Counter>& agent_connects_;
  core::metrics::Family<core::metrics::Gauge>& sessions_;
  core::metrics::Family<core::metrics::Gauge>& streams_;
  core::metrics::Family<core::metrics::Gauge>& public_connections_;
  core::metrics::Family<core::metrics::Gauge>& queue_deliveries_;
  core::metrics::Family<core::metrics::Gauge>& queue_oldest_age_;
  // Touched on the io thread only (request()); the series it points to live as long as their
  // families, which are never cleared (only the queue gauges are).
  std::unordered_map<std::string, TunnelSeries, NameHash, std::equal_to<>> tunnels_;
};

// Which limit a relay error code stands for ("" for codes that are not a limit).
std::string_view limit_of(std::string_view relay_code);

}  // namespace relay::edge
