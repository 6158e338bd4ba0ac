// rediss:// (idle-sessions): the Redis client over TLS against Debian's redis-server started
// with --tls-port (its Redis 7 is built with TLS). The right CA: commands work, and the client
// reconnects after a restart like the plain one. A wrong CA: unavailable, with a reason that
// names the certificate verification failure, and it keeps retrying (it connects once the
// server presents a certificate it trusts).
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "relay/store/redis/redis_connection.hpp"
#include "unit/store/redis_server.hpp"

namespace relay::store::redis {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

bool openssl_installed() { return fs::exists("/usr/bin/openssl"); }

// A CA that signed a certificate for 127.0.0.1, and a second CA (which the client does not
// trust) that signed one with the same key and name.
struct TestPki {
  explicit TestPki(fs::path directory) : dir(std::move(directory)) {
    const std::string d = dir.string();
    const std::string ec =
        " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 2>/dev/null";
    const std::string ca = " -addext basicConstraints=critical,CA:TRUE";
    run("openssl req -x509" + ec + " -keyout " + d + "/ca.key -out " + d + "/ca.pem" + ca +
        " -subj '/CN=relay redis test CA'");
    run("openssl req -x509" + ec + " -keyout " + d + "/wrong.key -out " + d + "/wrong-ca.pem" + ca +
        " -subj '/CN=relay unrelated CA'");
    run("openssl req" + ec + " -keyout " + d + "/redis.key -out " + d +
        "/redis.csr -subj /CN=redis");
    run("printf 'subjectAltName=IP:127.0.0.1\\n' > " + d + "/redis.ext");
    run("openssl x509 -req -in " + d + "/redis.csr -CA " + d + "/ca.pem -CAkey " + d +
        "/ca.key -CAcreateserial -days 2 -extfile " + d + "/redis.ext -out " + d +
        "/redis.pem 2>/dev/null");
    // The same key and name, signed by the CA the client does not trust.
    run("openssl x509 -req -in " + d + "/redis.csr -CA " + d + "/wrong-ca.pem -CAkey " + d +
        "/wrong.key -CAcreateserial -days 2 -extfile " + d + "/redis.ext -out " + d +
        "/redis-wrong.pem 2>/dev/null");
  }
  static void run(const std::string& command) {
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  fs::path dir;
};

// redis-server with TLS only (--port 0), clients not asked for certificates.
class TlsRedisServer {
 public:
  TlsRedisServer(fs::path dir, unsigned short port) : dir_(std::move(dir)), port_(port) { start(); }
  // The certificate the next start() presents (a file name in `dir`).
  void use_certificate(const std::string& name) { cert_ = name; }
  ~TlsRedisServer() { stop(); }
  TlsRedisServer(const TlsRedisServer&) = delete;
  TlsRedisServer& operator=(const TlsRedisServer&) = delete;

  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      const std::string d = dir_.string();
      const std::string cert = d + "/" + cert_;
      const std::string key = d + "/redis.key";
      const std::string ca = d + "/ca.pem";
      const std::string log = d + "/redis.log";
      ::execlp("redis-server", "redis-server", "--port", "0", "--tls-port", port.c_str(), "--bind",
               "127.0.0.1", "--tls-cert-file", cert.c_str(), "--tls-key-file", key.c_str(),
               "--tls-ca-cert-file", ca.c_str(), "--tls-auth-clients", "no", "--save", "", "--dir",
               d.c_str(), "--loglevel", "warning", "--logfile", log.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    test::wait_until_accepting(port_);
  }
  void stop() { test::stop_process(pid_); }

 private:
  fs::path dir_;
  unsigned short port_;
  std::string cert_ = "redis.pem";
  pid_t pid_ = -1;
};

class RedisTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::redis_server_installed() || !openssl_installed()) {
      GTEST_SKIP() << "redis-server or openssl is not installed";
    }
    dir_ = fs::temp_directory_path() / ("relay-rediss-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    pki_ = std::make_unique<TestPki>(dir_);
    port_ = test::free_loopback_port();
    server_ = std::make_unique<TlsRedisServer>(dir_, port_);
  }
  void TearDown() override {
    if (redis_) redis_->stop();
    io_.run_for(std::chrono::milliseconds(50));
    server_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::shared_ptr<RedisConnection> connect(const std::string& url) {
    auto endpoint = parse_redis_url(url);
    EXPECT_TRUE(endpoint) << endpoint.error().message;
    RedisClientOptions options;
    options.endpoint = *endpoint;
    options.backoff_max = std::chrono::milliseconds(200);
    redis_ = RedisConnection::create(io_.get_executor(), options);
    redis_->on_availability = [this](bool up, const std::string& why) {
      reports_.push_back(up ? "up" : why);
    };
    redis_->start();
    return redis_;
  }

  template <class F>
  auto run(F make) {
    return test::run_on(io_, std::move(make));
  }

  std::string url(const std::string& ca_file) const {
    return "rediss://127.0.0.1:" + std::to_string(port_) + "/2?cacert=" + ca_file;
  }

  asio::io_context io_;
  fs::path dir_;
  std::unique_ptr<TestPki> pki_;
  unsigned short port_ = 0;
  std::unique_ptr<TlsRedisServer> server_;
  std::shared_ptr<RedisConnection> redis_;
  std::vector<std::string> reports_;
};

TEST_F(RedisTlsTest, CommandsWorkOverTlsAndItReconnectsAfterARestart) {
  auto redis = connect(url((dir_ / "ca.pem").string()));
  ASSERT_TRUE(run([&] { return redis->wait_available(std::chrono::seconds(5)); }))
      << redis->last_error();
  auto set = run([&] { return redis->command({"SET", "k", std::string(40'000, 'x')}); });
  ASSERT_TRUE(set);
  auto get = run([&] { return redis->command({"GET", "k"}); });
  ASSERT_TRUE(get);
  EXPECT_EQ(get->text.size(), 40'000U);  // several TLS records

  server_->stop();
  auto down = run([&] { return redis->command({"PING"}); });
  for (int i = 0; i < 100 && redis->available(); ++i) io_.run_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(redis->available());
  (void)down;
  server_->start();
  ASSERT_TRUE(run([&] { return redis->wait_available(std::chrono::seconds(5)); }))
      << redis->last_error();
  auto pong = run([&] { return redis->command({"PING"}); });
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->text, "PONG");
}

TEST_F(RedisTlsTest, ACertificateFromAnotherCaIsRefusedWithTheReasonAndRetried) {
  server_->stop();
  server_->use_certificate("redis-wrong.pem");
  server_->start();
  auto redis = connect(url((dir_ / "ca.pem").string()));
  EXPECT_FALSE(run([&] { return redis->wait_available(std::chrono::seconds(1)); }));
  ASSERT_FALSE(reports_.empty());
  EXPECT_NE(reports_.front().find("certificate verify failed"), std::string::npos)
      << reports_.front();
  EXPECT_NE(reports_.front().find("ca.pem"), std::string::npos) << reports_.front();
  // Still retrying: once the server presents a certificate the CA signed, it connects.
  server_->stop();
  server_->use_certificate("redis.pem");
  server_->start();
  ASSERT_TRUE(run([&] { return redis->wait_available(std::chrono::seconds(5)); }))
      << redis->last_error();
  EXPECT_EQ(reports_.back(), "up");
}

TEST_F(RedisTlsTest, AnUnreadableCaFileIsAClearStartupError) {
  auto endpoint = parse_redis_url(url((dir_ / "missing.pem").string()));
  ASSERT_TRUE(endpoint) << endpoint.error().message;
  RedisClientOptions options;
  options.endpoint = *endpoint;
  try {
    RedisConnection::create(io_.get_executor(), options);
    FAIL() << "a missing CA file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace relay::store::redis
