#include "edge/route_cache.hpp"

namespace relay::edge::peer {

std::optional<std::vector<std::string>> RouteCache::find(const std::string& name,
                                                         Clock::time_point now) const {
  auto it = entries_.find(name);
  if (it == entries_.end() || now >= it->second.expires) return std::nullopt;
  return it->second.edges;
}

void RouteCache::store(const std::string& name, std::vector<std::string> edges,
                       Clock::time_point now) {
  if (entries_.size() >= max_entries_ && !entries_.contains(name)) {
    std::erase_if(entries_, [now](const auto& entry) { return now >= entry.second.expires; });
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[name] = Entry{std::move(edges), now + ttl_};
}

}  // namespace relay::edge::peer
