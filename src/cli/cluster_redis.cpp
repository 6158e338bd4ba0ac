#include "cli/cluster_redis.hpp"

#include <chrono>
#include <exception>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "cli/cli_context.hpp"
#include "relay/config/config_paths.hpp"
#include "relay/config/edge_config.hpp"
#include "relay/config/text_edit.hpp"
#include "relay/store/redis/redis_connection.hpp"
#include "relay/verify/secret.hpp"

namespace relay::cli {

namespace asio = boost::asio;
using store::redis::RedisConnection;

namespace {

constexpr std::chrono::milliseconds kConnectWait{3000};  // the client's connect timeout + margin

// The client's options for `url`; nullopt when the URL or its password is wrong (said on stderr).
std::optional<store::redis::RedisClientOptions> client_options(const std::string& url,
                                                               std::string_view command) {
  auto endpoint = store::redis::parse_redis_url(url);
  if (!endpoint) {
    std::cerr << command << ": --cluster: " << endpoint.error().message << '\n';
    return std::nullopt;
  }
  if (!endpoint->password.empty()) {
    auto password = verify::resolve_secret(endpoint->password);
    if (!password) {
      std::cerr << command << ": --cluster: the Redis password: " << password.error().message
                << '\n';
      return std::nullopt;
    }
    endpoint->password = *password;
  }
  store::redis::RedisClientOptions options;
  options.endpoint = *endpoint;
  return options;
}

asio::awaitable<int> when_available(std::shared_ptr<RedisConnection> redis, ClusterOperation op,
                                    std::string command) {
  const bool up = co_await redis->wait_available(kConnectWait);
  if (!up) {
    std::cerr << command << ": cannot reach the cluster's Redis at " << redis->endpoint().display()
              << ": " << redis->last_error()
              << "; check --cluster (or cluster.redis in edge.yml) and that Redis is up\n";
    co_return kExitFailure;
  }
  co_return co_await op(redis);
}

}  // namespace

std::string cluster_redis_url(const std::optional<std::string>& flag,
                              const std::string& config_path) {
  if (flag) return *flag;
  const std::string path = config::edge_config_path(config_path);
  std::string text;
  try {
    text = config::read_file_or_empty(path);
  } catch (const std::exception&) {
    return "";  // unreadable: the command's own use of the file reports it
  }
  if (text.empty()) return "";
  auto load = config::parse_edge_config(
      {std::make_shared<config::ConfigSource>(config::ConfigSource{path, text, false})});
  return load.options.cluster.redis_url;
}

std::string cluster_place(const RedisConnection& redis) {
  return "the cluster's Redis at " + redis.endpoint().display();
}

int cluster_unanswered(std::string_view command, const RedisConnection& redis, bool changes) {
  std::cerr << command << ": the cluster's Redis did not answer: " << redis.last_error()
            << (changes ? "; nothing was changed, try again\n" : "; try again\n");
  return kExitFailure;
}

int run_against_cluster(const std::string& url, std::string_view command,
                        const ClusterOperation& op) {
  auto options = client_options(url, command);
  if (!options) return kExitUsage;
  try {
    asio::io_context io;
    auto redis = RedisConnection::create(io.get_executor(), *options);
    redis->start();
    int exit_code = kExitFailure;
    asio::co_spawn(io, when_available(redis, op, std::string(command)),
                   [&](const std::exception_ptr& e, int rc) {
                     exit_code = e ? kExitFailure : rc;
                     redis->stop();
                     io.stop();
                   });
    io.run();
    return exit_code;
  } catch (const std::exception& e) {
    std::cerr << command << ": " << e.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace relay::cli
