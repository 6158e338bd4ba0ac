#include "edge/per_ip_counter.hpp"

namespace relay::edge {

std::optional<PerIpCounter::Slot> PerIpCounter::try_acquire(
    const boost::asio::ip::address& address) {
  if (total_limit_ != 0 && total_ >= total_limit_) return std::nullopt;
  auto [it, inserted] = counts_.try_emplace(address, 0);
  if (per_ip_ != 0 && it->second >= per_ip_) return std::nullopt;  // not new: count > 0
  ++it->second;
  ++total_;
  return Slot(this, address);
}

void PerIpCounter::release(const boost::asio::ip::address& address) {
  auto it = counts_.find(address);
  if (it == counts_.end()) return;
  --total_;
  if (--it->second == 0) counts_.erase(it);
}

std::size_t PerIpCounter::count(const boost::asio::ip::address& address) const {
  auto it = counts_.find(address);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace relay::edge
