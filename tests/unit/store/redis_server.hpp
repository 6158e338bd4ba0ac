#pragma once

// A real redis-server (Debian's) for one test: a free loopback port, a temporary directory,
// stopped by its PID. Tests skip when redis-server is not installed (CI installs it).
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <future>
#include <memory>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>

#include "relay/store/redis/redis_connection.hpp"

namespace relay::store::test {

// Runs the coroutine `make()` returns on `io` until it completes (bounded: 10 s; a coroutine
// still pending then makes get() throw) and returns its value.
template <class F>
auto run_on(boost::asio::io_context& io, F make) -> typename decltype(make())::value_type {
  auto future = boost::asio::co_spawn(io, make(), boost::asio::use_future);
  io.restart();
  for (int i = 0; i < 1000 && future.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
       ++i) {
    io.run_for(std::chrono::milliseconds(10));
  }
  return future.get();
}

// Returns when 127.0.0.1:`port` accepts a connection (bounded: 5 s).
inline void wait_until_accepting(unsigned short port) {
  for (int i = 0; i < 200; ++i) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    boost::system::error_code ec;
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    if (!ec) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

// SIGKILL and reap a server this test started; pid becomes -1.
inline void stop_process(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  pid = -1;
}

inline bool redis_server_installed() {
  return std::filesystem::exists("/usr/bin/redis-server") ||
         std::filesystem::exists("/usr/local/bin/redis-server");
}

inline unsigned short free_loopback_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

class RedisServer {
 public:
  RedisServer()
      : port_(free_loopback_port()),
        dir_(std::filesystem::temp_directory_path() /
             ("relay-redis-test-" + std::to_string(::getpid()) + "-" + std::to_string(port_))) {
    std::filesystem::create_directories(dir_);
    start();
  }
  ~RedisServer() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      const std::string dir = dir_.string();
      const std::string log = (dir_ / "redis.log").string();
      ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir.c_str(),
               "--loglevel", "warning", "--logfile", log.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    wait_until_accepting(port_);
  }
  void stop() { stop_process(pid_); }
  [[nodiscard]] unsigned short port() const { return port_; }

 private:
  unsigned short port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

// A test with a redis-server of its own and one client connected to it (`redis_`), driven by
// `io_`. A test that needs other client options (a database, a backoff) overrides
// client_options().
class RedisClientTest : public ::testing::Test {
 protected:
  template <class F>
  auto run(F make) {
    return run_on(io_, std::move(make));
  }

  [[nodiscard]] virtual redis::RedisClientOptions client_options() const {
    redis::RedisClientOptions options;
    options.endpoint.host = "127.0.0.1";
    options.endpoint.port = server_->port();
    options.backoff_max = std::chrono::milliseconds(200);
    return options;
  }

  void SetUp() override {
    if (!redis_server_installed()) GTEST_SKIP() << "redis-server is not installed";
    server_ = std::make_unique<RedisServer>();
    redis_ = redis::RedisConnection::create(io_.get_executor(), client_options());
    redis_->start();
    ASSERT_TRUE(run([&]() { return redis_->wait_available(std::chrono::seconds(5)); }));
  }
  void TearDown() override {
    if (redis_) redis_->stop();
    io_.run_for(std::chrono::milliseconds(50));
  }

  boost::asio::io_context io_;
  std::unique_ptr<RedisServer> server_;
  std::shared_ptr<redis::RedisConnection> redis_;
};

}  // namespace relay::store::test
