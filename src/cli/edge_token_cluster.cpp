#include "cli/edge_token_cluster.hpp"

#include <chrono>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "cli/cli_context.hpp"
#include "relay/config/config_paths.hpp"
#include "relay/config/edge_config.hpp"
#include "relay/config/edge_token_store.hpp"
#include "relay/config/text_edit.hpp"
#include "relay/edge/auth_token.hpp"
#include "relay/net/tunnel_protocol.hpp"
#include "relay/store/redis/redis_connection.hpp"
#include "relay/store/redis/redis_name_store.hpp"
#include "relay/store/redis/redis_token_store.hpp"
#include "relay/verify/secret.hpp"

namespace relay::cli {

namespace asio = boost::asio;
using store::redis::RedisConnection;
using store::redis::RedisTokenStore;
using store::redis::TokenRecord;

namespace {

constexpr std::chrono::milliseconds kConnectWait{3000};  // the client's connect timeout + margin

struct Target {
  store::redis::RedisClientOptions options;
  int usage_error = 0;  // kExitUsage: the URL or its password is wrong (said on stderr)
};

Target target_for(const std::string& url, const std::string& command) {
  Target t;
  auto endpoint = store::redis::parse_redis_url(url);
  if (!endpoint) {
    std::cerr << "relay edge token " << command << ": --cluster: " << endpoint.error().message
              << '\n';
    t.usage_error = kExitUsage;
    return t;
  }
  if (!endpoint->password.empty()) {
    auto password = verify::resolve_secret(endpoint->password);
    if (!password) {
      std::cerr << "relay edge token " << command
                << ": --cluster: the Redis password: " << password.error().message << '\n';
      t.usage_error = kExitUsage;
      return t;
    }
    endpoint->password = *password;
  }
  t.options.endpoint = *endpoint;
  return t;
}

using Operation = std::function<asio::awaitable<int>(std::shared_ptr<RedisConnection>)>;

asio::awaitable<int> when_available(std::shared_ptr<RedisConnection> redis, Operation op,
                                    std::string command, std::string where) {
  const bool up = co_await redis->wait_available(kConnectWait);
  if (!up) {
    std::cerr << "relay edge token " << command << ": cannot reach the cluster's Redis at " << where
              << ": " << redis->last_error()
              << "; check --cluster (or cluster.redis in edge.yml) and that Redis is up\n";
    co_return kExitFailure;
  }
  co_return co_await op(redis);
}

// Connects (bounded), runs `op`, disconnects. Unreachable: exit 1 with Redis's reason.
int run_against_redis(const std::string& url, const std::string& command, const Operation& op) {
  auto target = target_for(url, command);
  if (target.usage_error != 0) return target.usage_error;
  const std::string where = target.options.endpoint.display();
  try {
    asio::io_context io;
    auto redis = RedisConnection::create(io.get_executor(), target.options);
    redis->start();
    int exit_code = kExitFailure;
    asio::co_spawn(io, when_available(redis, op, command, where),
                   [&](const std::exception_ptr& e, int rc) {
                     exit_code = e ? kExitFailure : rc;
                     redis->stop();
                     io.stop();
                   });
    io.run();
    return exit_code;
  } catch (const std::exception& e) {
    std::cerr << "relay edge token " << command << ": " << e.what() << '\n';
    return kExitFailure;
  }
}

void redis_failed(const std::string& command, const RedisConnection& redis) {
  std::cerr << "relay edge token " << command
            << ": the cluster's Redis did not answer: " << redis.last_error()
            << "; nothing was changed, try again\n";
}

struct AddArgs {
  std::string token;
  std::string hash;
  TokenRecord record;
};

asio::awaitable<int> add_op(std::shared_ptr<RedisConnection> redis, const AddArgs& args) {
  // Reserved names are tunnel names this token owns in the cluster (relay:name:<name>): refuse
  // any that another token owns already, before writing anything.
  store::redis::RedisNameStore names(redis);
  if (!args.record.reserved_names.empty()) {
    auto looked = co_await names.lookup_async(args.record.reserved_names);
    if (!looked) {
      redis_failed("add", *redis);
      co_return kExitFailure;
    }
    for (const auto& name : args.record.reserved_names) {
      auto owner = names.owner(name);
      if (owner && *owner && **owner != args.hash) {
        std::cerr << "relay edge token add: the tunnel name '" << name
                  << "' is owned by another token in the cluster; release it first (redis-cli "
                     "DEL relay:name:"
                  << name << ") or reserve another name. Nothing was changed\n";
        co_return kExitFailure;
      }
    }
  }
  RedisTokenStore tokens(redis);
  auto added = co_await tokens.add(args.hash, args.record);
  if (!added) {
    redis_failed("add", *redis);
    co_return kExitFailure;
  }
  if (*added == RedisTokenStore::Added::label_taken) {
    std::cerr << "relay edge token add: the cluster has a token labelled '" << args.record.label
              << "' already; choose another --label (or revoke that one)\n";
    co_return kExitFailure;
  }
  if (!args.record.reserved_names.empty()) {
    auto claimed = co_await names.claim_async(args.record.reserved_names, args.hash);
    if (!claimed) {
      std::cerr << "relay edge token add: the token was added, but its reserved names could not "
                   "be claimed ("
                << redis->last_error() << "); run the command's --reserve again later\n";
    }
  }
  std::cout << "Added token '" << args.record.label << "' to the cluster's Redis ("
            << redis->endpoint().display() << ").\n"
            << "Token (shown once; only its SHA-256 is stored):\n\n  " << args.token << "\n\n"
            << "On the agent: relay config add-authtoken " << args.token << "\n"
            << "Every edge of the cluster accepts it now (no restart).\n";
  co_return 0;
}

asio::awaitable<int> list_op(std::shared_ptr<RedisConnection> redis) {
  RedisTokenStore tokens(redis);
  auto all = co_await tokens.all();
  if (!all) {
    redis_failed("list", *redis);
    co_return kExitFailure;
  }
  if (all->empty()) {
    std::cout << "no tokens in the cluster's Redis (" << redis->endpoint().display()
              << "); add one with `relay edge token add --cluster URL --label NAME`\n";
    co_return 0;
  }
  std::cout << "LABEL                SHA-256 (prefix)   RESERVED\n";
  for (const auto& [hash, record] : *all) {
    std::string reserved;
    for (const auto& name : record.reserved_names) {
      reserved += (reserved.empty() ? "" : ", ") + name;
    }
    std::cout << record.label
              << std::string(record.label.size() < 21 ? 21 - record.label.size() : 1, ' ')
              << hash.substr(0, 16) << "   " << (reserved.empty() ? "-" : reserved) << '\n';
  }
  co_return 0;
}

asio::awaitable<int> revoke_op(std::shared_ptr<RedisConnection> redis, std::string label) {
  RedisTokenStore tokens(redis);
  auto removed = co_await tokens.revoke(label);
  if (!removed) {
    redis_failed("revoke", *redis);
    co_return kExitFailure;
  }
  if (*removed == 0) {
    std::cerr << "relay edge token revoke: no token labelled '" << label
              << "' in the cluster's Redis (see `relay edge token list --cluster URL`)\n";
    co_return kExitFailure;
  }
  std::cout << "Revoked token '" << label << "' in the cluster's Redis ("
            << redis->endpoint().display()
            << "). Every edge refuses new sessions with it within about 2 s.\n";
  co_return 0;
}

}  // namespace

std::string token_cluster_url(const std::optional<std::string>& flag,
                              const std::string& config_path) {
  if (flag) return *flag;
  const std::string path = config::edge_config_path(config_path);
  std::string text;
  try {
    text = config::read_file_or_empty(path);
  } catch (const std::exception&) {
    return "";  // unreadable: the edge.yml path reports it as before
  }
  if (text.empty()) return "";
  auto load = config::parse_edge_config(
      {std::make_shared<config::ConfigSource>(config::ConfigSource{path, text, false})});
  return load.options.cluster.redis_url;
}

int add_cluster_token(const std::string& url, const std::string& label,
                      const std::vector<std::string>& reserve) {
  for (const auto& name : reserve) {
    if (!net::protocol::is_valid_tunnel_name(name)) {
      std::cerr << "relay edge token add: --reserve: '" << name
                << "' is not a tunnel name (lower-case letters, digits, '-')\n";
      return kExitUsage;
    }
  }
  AddArgs args;
  try {
    args.token = config::generate_token();
  } catch (const std::exception& e) {
    std::cerr << "relay edge token add: " << e.what() << '\n';
    return kExitFailure;
  }
  edge::AuthToken entry = edge::make_auth_token(args.token, label);
  args.hash = entry.sha256_hex;
  args.record = TokenRecord{entry.label, reserve};
  return run_against_redis(url, "add", [&args](std::shared_ptr<RedisConnection> redis) {
    return add_op(std::move(redis), args);
  });
}

int list_cluster_tokens(const std::string& url) { return run_against_redis(url, "list", list_op); }

int revoke_cluster_token(const std::string& url, const std::string& label) {
  return run_against_redis(url, "revoke", [&label](std::shared_ptr<RedisConnection> redis) {
    return revoke_op(std::move(redis), label);
  });
}

}  // namespace relay::cli
