// `relay edge names list|release NAME` (state): which authtoken owns which tunnel name, in the
// edge's state database (with a cluster: in its Redis, shared by every edge). Safe while the edge
// runs: both open the file in WAL mode and wait for each other's writes (busy timeout). The edge
// reads the owner on every connect and bind, so a release counts from the next one; an agent that
// holds the name right now keeps it until it disconnects, and its token re-claims the name if it
// comes back (docs/security.md).
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "cli/cluster_redis.hpp"
#include "cli/edge_config_flags.hpp"
#include "cli/edge_state_dir_flags.hpp"
#include "relay/core/headers.hpp"
#include "relay/net/tunnel_protocol.hpp"
#include "relay/store/redis/redis_connection.hpp"
#include "relay/store/redis/redis_name_store.hpp"
#include "relay/store/store.hpp"

namespace relay::cli {

namespace {

namespace asio = boost::asio;

struct NamesFlags {
  EdgeStateDirFlags where;
  std::string name;
};

std::string utc_time(std::int64_t unix_seconds) {
  const std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

// `where`: the state directory, or the cluster's Redis.
int print_names(const core::Result<std::vector<store::NameRecord>>& names,
                const std::string& where) {
  if (!names) {
    std::cerr << "relay edge names list: " << names.error().message() << '\n';
    return kExitFailure;
  }
  if (names->empty()) {
    std::cout << "no tunnel name is owned yet (" << where
              << "); names reserved in edge.yml are listed by `relay edge token list`\n";
    return 0;
  }
  std::cout << fmt::format("{:<32} {:<18} {}\n", "NAME", "OWNER (SHA-256)", "CLAIMED (UTC)");
  for (const auto& n : *names) {
    std::cout << fmt::format("{:<32} {:<18} {}\n", n.name, n.owner.substr(0, 16),
                             utc_time(n.claimed_at));
  }
  return 0;
}

// What a release says once the name is free (`owner`: the token hash that owned it).
int print_released(const std::string& name, const std::optional<std::string>& owner) {
  if (!owner) {
    std::cerr << "relay edge names release: no authtoken owns '" << name
              << "'; nothing was changed (see `relay edge names list`)\n";
    return kExitFailure;
  }
  std::cout << "Released '" << name << "' (it was owned by the token " << owner->substr(0, 16)
            << "). The next authtoken that binds it owns it.\n"
            << "An agent holding it right now keeps it until it disconnects, and its token "
               "claims it again if it reconnects: stop that agent (or revoke its token) first.\n";
  return 0;
}

// cluster: the names every edge of the cluster shares (relay:name:<name> in Redis).
asio::awaitable<int> cluster_list(std::shared_ptr<store::redis::RedisConnection> redis) {
  store::redis::RedisNameStore store(redis);
  auto names = co_await store.list_all();
  if (!names) co_return cluster_unanswered("relay edge names list", *redis, false);
  co_return print_names(names, cluster_place(*redis));
}

asio::awaitable<int> cluster_release(std::shared_ptr<store::redis::RedisConnection> redis,
                                     std::string name) {
  store::redis::RedisNameStore store(redis);
  auto owner = co_await store.release_async(name);
  if (!owner) co_return cluster_unanswered("relay edge names release", *redis, true);
  co_return print_released(name, *owner);
}

int list_names(const NamesFlags& flags) {
  if (auto url = resolve_edge_cluster_url(flags.where); !url.empty()) {
    return run_against_cluster(url, "relay edge names list", cluster_list);
  }
  try {
    const auto dir = resolve_edge_state_dir(flags.where);
    if (!dir) return kExitFailure;
    auto db = store::open_sqlite_store(*dir, store::OpenMode::existing);
    return print_names(db->names().list(), *dir);
  } catch (const std::exception& e) {
    std::cerr << "relay edge names list: " << e.what() << '\n';
    return kExitFailure;
  }
}

int release_name(const NamesFlags& flags) {
  const std::string name = core::to_lower(flags.name);
  if (!net::protocol::is_valid_tunnel_name(name)) {
    std::cerr << "relay edge names release: '" << flags.name
              << "' is not a tunnel name (see `relay edge names list`)\n";
    return kExitFailure;
  }
  if (auto url = resolve_edge_cluster_url(flags.where); !url.empty()) {
    return run_against_cluster(url, "relay edge names release",
                               [&name](std::shared_ptr<store::redis::RedisConnection> redis) {
                                 return cluster_release(std::move(redis), name);
                               });
  }
  try {
    const auto dir = resolve_edge_state_dir(flags.where);
    if (!dir) return kExitFailure;
    auto db = store::open_sqlite_store(*dir, store::OpenMode::existing);
    auto owner = db->names().owner(name);
    auto released = owner ? db->names().release(name)
                          : core::Result<bool>(boost::system::in_place_error, owner.error());
    if (!released) {
      std::cerr << "relay edge names release: " << released.error().message() << '\n';
      return kExitFailure;
    }
    return print_released(name, *released ? *owner : std::nullopt);
  } catch (const std::exception& e) {
    std::cerr << "relay edge names release: " << e.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace

void add_edge_names_command(CLI::App& edge_command, CliContext& ctx) {
  auto flags = std::make_shared<NamesFlags>();
  auto* names = edge_command.add_subcommand("names",
                                            "Tunnel names and the authtokens that own them (the "
                                            "edge's state database, or the cluster's Redis)");
  names->require_subcommand(1);
  auto* list = names->add_subcommand("list", "List owned names: name, owner token, since when");
  add_edge_state_dir_flags(*list, flags->where);
  list->callback([&ctx, flags] { ctx.exit_code = list_names(*flags); });

  auto* release = names->add_subcommand(
      "release", "Free a name so that another authtoken may bind it (safe while the edge runs)");
  add_edge_state_dir_flags(*release, flags->where);
  release->add_option("NAME", flags->name, "The tunnel name")->required();
  release->callback([&ctx, flags] { ctx.exit_code = release_name(*flags); });
}

bool edge_names_invoked(const CLI::App& edge_command) {
  return edge_command.get_subcommand("names")->parsed();
}

}  // namespace relay::cli
