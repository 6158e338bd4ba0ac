#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

namespace relay::store::redis {
class RedisConnection;
}

namespace relay::cli {

// cluster: the operator commands that read or change a cluster's state in its Redis instead of
// one edge's files (`relay edge token|names|queue` with --cluster, or edge.yml's cluster.redis).

// The Redis URL such a command uses: --cluster when given, else the edge config file's
// `cluster.redis` (when the file exists and has one), else "" (the edge's own files).
std::string cluster_redis_url(const std::optional<std::string>& flag,
                              const std::string& config_path);

using ClusterOperation =
    std::function<boost::asio::awaitable<int>(std::shared_ptr<store::redis::RedisConnection>)>;

// Connects to the cluster's Redis (3 s at most), runs `op` and returns its exit code; 2 when the
// URL or its password is wrong, 1 when Redis cannot be reached (the reason on stderr). Every
// message starts with `command` ("relay edge queue stats").
int run_against_cluster(const std::string& url, std::string_view command,
                        const ClusterOperation& op);

// "the cluster's Redis at HOST:PORT/DB": where a command's answer came from, for its messages.
std::string cluster_place(const store::redis::RedisConnection& redis);

// Redis was reached but did not answer (it went away, or answered an error): says so on stderr
// with Redis's reason and returns 1. `changes`: the command would have changed something.
int cluster_unanswered(std::string_view command, const store::redis::RedisConnection& redis,
                       bool changes);

// The help of --cluster on a command that only reads or changes what Redis holds.
inline constexpr const char* kClusterStateHelp =
    "The cluster's Redis, redis://[:PASSWORD@]HOST:PORT/DB: the cluster's state is read (or "
    "changed) there instead of in one edge's state database (default: the config file's "
    "cluster.redis, when it has one and --state-dir is not given)";

}  // namespace relay::cli
