#pragma once

#include <memory>

#include <boost/asio/awaitable.hpp>

#include "relay/store/store.hpp"

namespace relay::edge {

class Cluster;
struct EdgeState;

// cluster: queue (issue 12, docs/cluster.md). With --cluster the edge's store keeps the names
// it had (SQLite), but its delivery queue and buffer policies are the cluster's, in Redis: any
// edge queues for a buffered tunnel, and the edge holding the agent delivers.
std::unique_ptr<store::Store> make_cluster_store(std::unique_ptr<store::Store> local,
                                                 Cluster& cluster);

// Runs until the edge stops: every 500 ms, wakes the delivery worker of each tunnel that has
// queued deliveries in Redis (appended by any edge, or leases a dead edge left) and a live
// session here, so another edge's append is delivered within about half a second; every 2 s
// (and when Redis comes back) reads the buffer policies other edges recorded into the edge's
// BufferPolicies, so that this edge queues for tunnels whose agent is elsewhere or away.
// Polling on the shared connection, not a blocking read: it must never hold up the pipeline.
boost::asio::awaitable<void> watch_cluster_queue(std::weak_ptr<EdgeState> state);

}  // namespace relay::edge
