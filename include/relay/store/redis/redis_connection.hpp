#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "relay/core/result.hpp"
#include "relay/store/redis/redis_reply.hpp"
#include "relay/store/redis/redis_url.hpp"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace relay::store::redis {

struct RedisClientOptions {
  RedisEndpoint endpoint;  // its password resolved already (no env:/file: here)
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{2000};
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{2000};
};

// One pipelined connection to Redis, driven from Asio (hiredis only encodes and decodes RESP).
// Commands are written in the order they are issued, several per write when they queue up, and
// replies matched to them first in, first out. The connection keeps itself up: AUTH and SELECT
// on connect, reconnect with exponential backoff when it drops. While it is down, command()
// fails at once with store::Errc::unavailable (last_error() says why) instead of waiting: the
// caller decides what to do without Redis. Single-threaded: use it from its executor only.
class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  static std::shared_ptr<RedisConnection> create(boost::asio::any_io_executor ex,
                                                 RedisClientOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  void start();  // connects in the background
  void stop();   // closes; pending commands fail with unavailable

  // A Redis error reply is a value (RedisReply::Type::error), not a failure: the failure is
  // the connection (down, timed out, or not RESP).
  boost::asio::awaitable<core::Result<RedisReply>> command(std::vector<std::string> args);
  // Several commands in one write; the replies in the same order.
  boost::asio::awaitable<std::vector<core::Result<RedisReply>>> pipeline(
      std::vector<std::vector<std::string>> commands);
  // Waits, at most `limit`, for the connection to be up (the first connect after start()).
  boost::asio::awaitable<bool> wait_available(std::chrono::milliseconds limit);

  [[nodiscard]] const boost::asio::any_io_executor& get_executor() const { return executor_; }
  [[nodiscard]] bool available() const { return available_; }
  [[nodiscard]] const std::string& last_error() const { return last_error_; }
  [[nodiscard]] const RedisEndpoint& endpoint() const { return options_.endpoint; }
  // Called on the executor when the connection comes up (true) or goes down (false, why).
  std::function<void(bool up, const std::string& why)> on_availability;

  // Makes this a subscriber connection (before start()): every connect SUBSCRIBEs to `channel`
  // as the last step of its handshake, so a reconnect subscribes again, and each message
  // published there is handed to `on_message` on the executor. Such a connection takes no
  // other command than PING (Redis's rule for a subscribed client): a PING now and then is
  // what finds a link that died silently (it times out, and the connection starts over).
  void subscribe(std::string channel, std::function<void(std::string_view message)> on_message);

 private:
  struct Pending;
  struct Link;
  RedisConnection(boost::asio::any_io_executor ex, RedisClientOptions options);

  std::shared_ptr<Pending> enqueue(const std::vector<std::string>& args, bool internal);
  boost::asio::awaitable<core::Result<RedisReply>> await_reply(std::shared_ptr<Pending> pending);
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<std::string> connect_once();  // "" when connected and ready
  boost::asio::awaitable<void> read_loop(std::shared_ptr<Link> link);
  boost::asio::awaitable<void> write_loop(std::shared_ptr<Link> link);
  boost::asio::awaitable<std::string> handshake();  // AUTH, SELECT; "" on success
  void drop(const std::string& why);                // closes the link, fails what is pending
  void set_available(bool up, const std::string& why);

  boost::asio::any_io_executor executor_;
  RedisClientOptions options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // rediss:// only (redis_tls.hpp)
  std::shared_ptr<Link> link_;
  std::deque<std::shared_ptr<Pending>> in_flight_;  // written or queued, awaiting a reply
  boost::asio::steady_timer backoff_timer_;
  bool started_ = false;
  bool stopped_ = false;
  bool available_ = false;
  bool reported_down_ = false;
  std::string last_error_ = "not connected yet";
  std::string channel_;  // subscribe(): "" for a command connection
  std::function<void(std::string_view)> on_message_;
};

}  // namespace relay::store::redis
