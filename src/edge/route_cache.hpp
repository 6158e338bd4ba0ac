#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace relay::edge::peer {

// cluster: peer link. The edges holding each tunnel name (Cluster::edges_for, a SCAN in
// Redis), remembered for a short time so that a burst of requests for one name costs one SCAN,
// not one each. An empty list (nobody holds the name) is remembered too. Pure: the caller gives
// the time. Bounded: past `max_entries` the expired entries go, and if none had, everything.
class RouteCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RouteCache(Clock::duration ttl, std::size_t max_entries = 10'000)
      : ttl_(ttl), max_entries_(max_entries) {}

  [[nodiscard]] std::optional<std::vector<std::string>> find(const std::string& name,
                                                             Clock::time_point now) const;
  void store(const std::string& name, std::vector<std::string> edges, Clock::time_point now);
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::vector<std::string> edges;
    Clock::time_point expires;
  };
  Clock::duration ttl_;
  std::size_t max_entries_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace relay::edge::peer
