// `relay edge queue stats|list` (durable delivery): the edge's delivery queue as an operator
// sees it, read from the state database like `relay edge names` (src/cli/edge_names_command.cpp):
// safe while the edge runs (WAL; this command only reads, and leaves the edge's in-flight
// deliveries alone). Retrying or dropping deliveries goes through the agent (`relay queue`).
#include <chrono>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "cli/edge_config_flags.hpp"
#include "cli/edge_state_dir_flags.hpp"
#include "relay/store/queue_report.hpp"
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

int show_stats(const QueueFlags& flags) {
  try {
    const auto dir = resolve_edge_state_dir(flags.where);
    if (!dir) return kExitFailure;
    auto db = store::open_sqlite_store(*dir, store::OpenMode::existing);
    auto stats = wait_for(db->deliveries().stats());
    if (!stats) {
      std::cerr << "relay edge queue stats: " << stats.error().message() << '\n';
      return kExitFailure;
    }
    if (stats->empty()) {
      std::cout << "no delivery is stored (" << *dir << "/" << store::kEdgeDatabaseFile
                << "): no buffered tunnel has queued a request, or all were removed\n";
      return 0;
    }
    std::cout << store::format_queue_stats(*stats, now_ms());
    return 0;
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
  try {
    const auto dir = resolve_edge_state_dir(flags.where);
    if (!dir) return kExitFailure;
    auto db = store::open_sqlite_store(*dir, store::OpenMode::existing);
    auto deliveries = wait_for(db->deliveries().list(filter));
    if (!deliveries) {
      std::cerr << "relay edge queue list: " << deliveries.error().message() << '\n';
      return kExitFailure;
    }
    if (deliveries->empty()) {
      std::cout << "no delivery matches (" << *dir << "/" << store::kEdgeDatabaseFile
                << "); `relay edge queue stats` counts them per tunnel\n";
      return 0;
    }
    std::cout << store::format_delivery_list(*deliveries, now_ms());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "relay edge queue list: " << e.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace

void add_edge_queue_command(CLI::App& edge_command, CliContext& ctx) {
  auto flags = std::make_shared<QueueFlags>();
  auto* queue = edge_command.add_subcommand(
      "queue", "The durable delivery queue of buffered tunnels (the edge's state database)");
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
