#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "relay/store/delivery_queue.hpp"

namespace relay::store {

// The tables `relay edge queue stats|list` print (and `relay queue list` may): one line per
// tunnel or delivery, aligned columns, times as ages or UTC. `now_ms` is passed for tests.
std::string format_queue_stats(const std::vector<TunnelQueueStats>& stats, std::int64_t now_ms);
std::string format_delivery_list(const std::vector<Delivery>& deliveries, std::int64_t now_ms);

// "45s", "3m12s", "2h05m", "3d04h"; "-" for a time not in the past.
std::string format_age(std::int64_t ms);
// "812 B", "18.0 KiB", "2.1 MiB", "1.5 GiB".
std::string format_bytes(std::uint64_t bytes);

}  // namespace relay::store
