#include "cli/edge_token_cluster.hpp"

#include <iostream>
#include <memory>

#include "cli/cli_context.hpp"
#include "cli/cluster_redis.hpp"
#include "relay/config/edge_token_store.hpp"
#include "relay/edge/auth_token.hpp"
#include "relay/net/tunnel_protocol.hpp"
#include "relay/store/redis/redis_connection.hpp"
#include "relay/store/redis/redis_name_store.hpp"
#include "relay/store/redis/redis_token_store.hpp"

namespace relay::cli {

namespace asio = boost::asio;
using store::redis::RedisConnection;
using store::redis::RedisTokenStore;
using store::redis::TokenRecord;

namespace {

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
    if (!looked) co_return cluster_unanswered("relay edge token add", *redis, true);
    for (const auto& name : args.record.reserved_names) {
      auto owner = names.owner(name);
      if (owner && *owner && **owner != args.hash) {
        std::cerr << "relay edge token add: the tunnel name '" << name
                  << "' is owned by another token in the cluster; release it first (relay edge "
                     "names release --cluster URL "
                  << name << ") or reserve another name. Nothing was changed\n";
        co_return kExitFailure;
      }
    }
  }
  RedisTokenStore tokens(redis);
  auto added = co_await tokens.add(args.hash, args.record);
  if (!added) {
    co_return cluster_unanswered("relay edge token add", *redis, true);
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
    co_return cluster_unanswered("relay edge token list", *redis, false);
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
    co_return cluster_unanswered("relay edge token revoke", *redis, true);
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
  return run_against_cluster(
      url, "relay edge token add",
      [&args](std::shared_ptr<RedisConnection> redis) { return add_op(std::move(redis), args); });
}

int list_cluster_tokens(const std::string& url) {
  return run_against_cluster(url, "relay edge token list", list_op);
}

int revoke_cluster_token(const std::string& url, const std::string& label) {
  return run_against_cluster(url, "relay edge token revoke",
                             [&label](std::shared_ptr<RedisConnection> redis) {
                               return revoke_op(std::move(redis), label);
                             });
}

}  // namespace relay::cli
