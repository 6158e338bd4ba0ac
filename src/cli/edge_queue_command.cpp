// `relay edge queue stats|list` (durable delivery): the edge's delivery queue as an operator
// sees it, read from the state database like `relay edge names` (src/cli/edge_names_command.cpp):
// safe while the edge runs (WAL; this command only reads, and leaves the edge's in-flight
// deliveries alone). With a cluster the queue is the one in Redis that every edge shares.
// Retrying or dropping deliveries goes through the agent (`relay queue`).
#include <chrono>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "cli/cluster_redis.hpp"
#include "cli/edge_config_flags.hpp"
#include "cli/edge_state_dir_flags.hpp"
#include "relay/store/queue_report.hpp"
#include "relay/store/redis/redis_connection.hpp"
#include "relay/store/redis/redis_delivery_queue.hpp"
#include "relay/store/store.hpp"

namespace relay::cli {

namespace {

namespace asio = boost::asio;

struct QueueFlags {
  EdgeStateDirFlags where;
  std::string tunnel;
  std::string state;
  std::size_t limit = 50;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Runs one queue call to completion (the queue answers from its writer thread).
template <class T>
core::Result<T> wait_for(asio::awaitable<core::Result<T>> op) {
  asio::io_context io;
  std::optional<core::Result<T>> out;
  asio::co_spawn(io, std::move(op), [&](const std::exception_ptr& e, core::Result<T> r) {
    if (e) std::rethrow_exception(e);
    out.emplace(std::move(r));
  });
  io.run();
  return std::move(*out);
}

// What the two commands print, from the state database or the cluster's Redis (`where`).
int print_stats(const core::Result<std::vector<store::TunnelQueueStats>>& stats,
                const std::string& where) {
  if (!stats) {
    std::cerr << "relay edge queue stats: " << stats.error().message() << '\n';
    return kExitFailure;
  }
  if (stats->empty()) {
    std::cout << "no delivery is stored (" << where
              << "): no buffered tunnel has queued a request, or all were removed\n";
    return 0;
  }
  std::cout << store::format_queue_stats(*stats, now_ms());
  return 0;
}

int print_list(const core::Result<std::vector<store::Delivery>>& deliveries,
               const std::string& where) {
  if (!deliveries) {
    std::cerr << "relay edge queue list: " << deliveries.error().message() << '\n';
    return kExitFailure;
  }
  if (deliveries->empty()) {
    std::cout << "no delivery matches (" << where
              << "); `relay edge queue stats` counts them per tunnel\n";
    return 0;
  }
  std::cout << store::format_delivery_list(*deliveries, now_ms());
  return 0;
}

// cluster: the queue every edge of the cluster shares. Read only: the command is not a
// consumer of the queue's streams and leases nothing.
constexpr const char* kReaderName = "relay-cli";

asio::awaitable<int> cluster_stats(std::shared_ptr<store::redis::RedisConnection> redis) {
  store::redis::RedisDeliveryQueue queue(redis, kReaderName);
  auto stats = co_await queue.stats();
  if (!stats) co_return cluster_unanswered("relay edge queue stats", *redis, false);
  co_return print_stats(stats, cluster_place(*redis));
}

asio::awaitable<int> cluster_list(std::shared_ptr<store::redis::RedisConnection> redis,
                                  store::DeliveryFilter filter) {
  store::redis::RedisDeliveryQueue queue(redis, kReaderName);
  auto deliveries = co_await queue.list(std::move(filter));
  if (!deliveries) co_return cluster_unanswered("relay edge queue list", *redis, false);
  co_return print_list(deliveries, cluster_place(*redis));
}

int show_stats(const QueueFlags& flags) {
  if (auto url = resolve_edge_cluster_url(flags.where); !url.empty()) {
    return run_against_cluster(url, "relay edge queue stats", cluster_stats);
  }
  try {
    const auto dir = resolve_edge_state_dir(flags.where);
    if (!dir) return kExitFailure;
    auto db = store::open_sqlite_store(*dir, store::OpenMode::existing);
    return print_stats(wait_for(db->deliveries().stats()),
                       *dir + "/" + std::string(store::kEdgeDatabaseFile));
  } catch (const std::exception& e) {
    std::cerr << "relay edge queue stats: " << e.what() << '\n';
    return kExitFailure;
  }
}

int list_deliveries(const QueueFlags& flags) {
  store::DeliveryFilter filter;
  filter.tunnel = core::to_lower(flags.tunnel);
  filter.limit = flags.limit;
  if (!flags.state.empty()) {
    filter.state = store::parse_delivery_state(flags.state);
    if (!filter.state) {
      std::cerr << "relay edge queue list: --state '" << flags.state
                << "' is not a delivery state: one of queued, delivering, delivered, dead\n";
      return kExitFailure;
    }
  }
  if (flags.limit < 1 || flags.limit > 10000) {
    std::cerr << "relay edge queue list: --limit must be from 1 to 10000\n";
    return kExitFailure;
  }
  if (auto url = resolve_edge_cluster_url(flags.where); !url.empty()) {
    return run_against_cluster(url, "relay edge queue list",
                               [filter](std::shared_ptr<store::redis::RedisConnection> redis) {
                                 return cluster_list(std::move(redis), filter);
                               });
  }
  try {
    const auto dir = resolve_edge_state_dir(flags.where);
    if (!dir) return kExitFailure;
    auto db = store::open_sqlite_store(*dir, store::OpenMode::existing);
    return print_list(wait_for(db->deliveries().list(filter)),
                      *dir + "/" + std::string(store::kEdgeDatabaseFile));
  } catch (const std::exception& e) {
    std::cerr << "relay edge queue list: " << e.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace

void add_edge_queue_command(CLI::App& edge_command, CliContext& ctx) {
  auto flags = std::make_shared<QueueFlags>();
  auto* queue = edge_command.add_subcommand("queue",
                                            "The durable delivery queue of buffered tunnels (the "
                                            "edge's state database, or the cluster's Redis)");
  queue->require_subcommand(1);
  auto* stats = queue->add_subcommand(
      "stats", "Per tunnel: queued, delivering, delivered, dead, oldest queued age, bytes");
  add_edge_state_dir_flags(*stats, flags->where);
  stats->callback([&ctx, flags] { ctx.exit_code = show_stats(*flags); });

  auto* list = queue->add_subcommand("list", "Stored deliveries, newest first");
  add_edge_state_dir_flags(*list, flags->where);
  list->add_option("--tunnel", flags->tunnel, "Only this tunnel's");
  list->add_option("--state", flags->state, "Only those queued, delivering, delivered or dead");
  list->add_option("--limit", flags->limit, "At most this many")->default_str("50");
  list->callback([&ctx, flags] { ctx.exit_code = list_deliveries(*flags); });
}

bool edge_queue_invoked(const CLI::App& edge_command) {
  return edge_command.get_subcommand("queue")->parsed();
}

}  // namespace relay::cli
