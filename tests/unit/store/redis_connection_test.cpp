// The Redis client (include/relay/store/redis/redis_connection.hpp) against a real
// redis-server: replies of every type, pipelining in order, fail-fast while down, reconnect.
#include <chrono>
#include <functional>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "relay/store/error.hpp"
#include "relay/store/redis/redis_connection.hpp"
#include "relay/store/redis/redis_name_store.hpp"
#include "unit/store/redis_server.hpp"

namespace relay::store::redis {
namespace {

namespace asio = boost::asio;
using Type = RedisReply::Type;

// Database 3: SELECT is part of every connect's handshake.
class RedisConnectionTest : public test::RedisClientTest {
 protected:
  [[nodiscard]] RedisClientOptions client_options() const override {
    auto options = RedisClientTest::client_options();
    options.endpoint.db = 3;
    return options;
  }

  core::Result<RedisReply> cmd(std::vector<std::string> args) {
    return run([&]() { return redis_->command(args); });
  }
};

TEST_F(RedisConnectionTest, RepliesOfEveryType) {
  auto set = cmd({"SET", "k", std::string("v\0\r\n", 4)});
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->is_ok());
  auto get = cmd({"GET", "k"});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->type, Type::string);
  EXPECT_EQ(get->text, std::string("v\0\r\n", 4));  // binary-safe both ways
  auto nil = cmd({"GET", "missing"});
  ASSERT_TRUE(nil);
  EXPECT_TRUE(nil->is_nil());
  auto n = cmd({"INCRBY", "n", "41"});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->type, Type::integer);
  EXPECT_EQ(n->integer, 41);
  auto error = cmd({"INCR", "k"});  // not an integer
  ASSERT_TRUE(error);               // an error reply is a reply, not a failed connection
  EXPECT_TRUE(error->is_error());
  EXPECT_NE(error->text.find("not an integer"), std::string::npos);
  ASSERT_TRUE(cmd({"RPUSH", "list", "a", "b", "c"}));
  auto list = cmd({"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->type, Type::array);
  ASSERT_EQ(list->elements.size(), 3U);
  EXPECT_EQ(list->elements[2].text, "c");
  // SELECT 3 was sent on connect: the keys are in database 3.
  auto db = cmd({"CLIENT", "INFO"});
  ASSERT_TRUE(db);
  EXPECT_NE(db->text.find(" db=3 "), std::string::npos) << db->text;
}

TEST_F(RedisConnectionTest, ManyConcurrentCommandsAreAnsweredInOrder) {
  constexpr int kCommands = 2000;
  std::vector<int> answers(kCommands, -1);
  int done = 0;
  for (int i = 0; i < kCommands; ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          std::vector<std::string> incr{"INCR", "counter"};
          auto r = co_await redis_->command(std::move(incr));
          if (r && r->type == Type::integer)
            answers[static_cast<std::size_t>(i)] = static_cast<int>(r->integer);
          ++done;
        },
        asio::detached);
  }
  io_.restart();
  for (int i = 0; i < 1000 && done < kCommands; ++i) io_.run_for(std::chrono::milliseconds(10));
  ASSERT_EQ(done, kCommands);
  // Issued in order, written in order, matched first in first out: the i-th INCR saw i+1.
  for (int i = 0; i < kCommands; ++i) ASSERT_EQ(answers[static_cast<std::size_t>(i)], i + 1);

  auto replies = run([&]() {
    return redis_->pipeline({{"SET", "a", "1"}, {"GET", "a"}, {"GET", "nope"}, {"DEL", "a"}});
  });
  ASSERT_EQ(replies.size(), 4U);
  EXPECT_TRUE(replies[0]->is_ok());
  EXPECT_EQ(replies[1]->text, "1");
  EXPECT_TRUE(replies[2]->is_nil());
  EXPECT_EQ(replies[3]->integer, 1);
}

TEST_F(RedisConnectionTest, FailsFastWhileDownAndReconnectsAfterRestart) {
  std::vector<bool> changes;
  redis_->on_availability = [&](bool up, const std::string&) { changes.push_back(up); };
  server_->stop();
  // The client notices the close, then every command fails at once with unavailable.
  io_.restart();
  for (int i = 0; i < 100 && redis_->available(); ++i) io_.run_for(std::chrono::milliseconds(10));
  ASSERT_FALSE(redis_->available());
  const auto before = std::chrono::steady_clock::now();
  auto r = cmd({"GET", "k"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(Errc::unavailable));
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(500));
  EXPECT_FALSE(redis_->last_error().empty());

  server_->start();
  ASSERT_TRUE(run([&]() { return redis_->wait_available(std::chrono::seconds(5)); }));
  auto set = cmd({"SET", "k", "again"});
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->is_ok());
  // One report each way, whatever the number of failed reconnects in between.
  EXPECT_EQ(changes, (std::vector<bool>{false, true}));
}

// cluster: queue's wake-ups. A subscribed connection hands every message of its channel over,
// answers PING, and subscribes again after Redis restarted (messages published while it was
// down are lost: the edge's poll covers them).
TEST_F(RedisConnectionTest, SubscriberGetsEveryMessageAndSubscribesAgainAfterARestart) {
  // Database 3 too: Pub/Sub ignores the database, a channel is server-wide.
  auto subscriber = RedisConnection::create(io_.get_executor(), client_options());
  std::vector<std::string> got;
  subscriber->subscribe("relay:q:wake", [&](std::string_view m) { got.emplace_back(m); });
  subscriber->start();
  ASSERT_TRUE(run([&]() { return subscriber->wait_available(std::chrono::seconds(5)); }));
  auto wait_for_messages = [&](std::size_t n) {
    for (int i = 0; i < 200 && got.size() < n; ++i) io_.run_for(std::chrono::milliseconds(10));
  };

  for (const char* t : {"hook", "shop", "hook"}) {
    auto published = cmd({"PUBLISH", "relay:q:wake", t});
    ASSERT_TRUE(published);
    EXPECT_EQ(published->integer, 1);  // one subscriber
  }
  ASSERT_TRUE(cmd({"PUBLISH", "relay:other", "x"}));  // another channel: not ours
  wait_for_messages(3);
  EXPECT_EQ(got, (std::vector<std::string>{"hook", "shop", "hook"}));
  auto pong = run([&]() { return subscriber->command({"PING"}); });
  ASSERT_TRUE(pong);  // ["pong", ""] in subscribed mode
  EXPECT_FALSE(pong->is_error());

  server_->stop();
  for (int i = 0; i < 100 && subscriber->available(); ++i)
    io_.run_for(std::chrono::milliseconds(10));
  ASSERT_FALSE(subscriber->available());
  server_->start();
  ASSERT_TRUE(run([&]() { return subscriber->wait_available(std::chrono::seconds(5)); }));
  ASSERT_TRUE(run([&]() { return redis_->wait_available(std::chrono::seconds(5)); }));
  auto published = cmd({"PUBLISH", "relay:q:wake", "after"});
  ASSERT_TRUE(published);
  EXPECT_EQ(published->integer, 1);  // subscribed again by the reconnect's handshake
  wait_for_messages(4);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got.back(), "after");
  subscriber->stop();
}

TEST_F(RedisConnectionTest, NameClaimsAreAtomicAcrossClients) {
  RedisNameStore a(redis_);
  RedisNameStore b(redis_);
  ASSERT_TRUE(run([&]() { return a.claim_async({"shop"}, "hash-a"); }));
  ASSERT_TRUE(run([&]() { return b.claim_async({"shop"}, "hash-b"); }));
  EXPECT_EQ(*a.claim("shop", "hash-a"), ClaimOutcome::already_owner);
  EXPECT_EQ(*b.claim("shop", "hash-b"), ClaimOutcome::owned_by_other);
  EXPECT_EQ(**b.owner("shop"), "hash-a");
  // An anonymous agent's names are only read: the owner is learned, nothing is claimed.
  RedisNameStore c(redis_);
  ASSERT_TRUE(run([&]() { return c.lookup_async({"shop", "free"}); }));
  EXPECT_EQ(**c.owner("shop"), "hash-a");
  EXPECT_FALSE(c.cached("free"));
  EXPECT_TRUE(cmd({"EXISTS", RedisNameStore::key("free")})->integer == 0);
  RouteDirectory one(redis_, "edge-1", std::chrono::seconds(15));
  RouteDirectory two(redis_, "edge-2", std::chrono::seconds(15));
  ASSERT_TRUE(run([&]() { return one.publish({"shop"}); }));
  ASSERT_TRUE(run([&]() { return two.publish({"shop"}); }));
  auto edges = run([&]() { return one.edges_for("shop"); });
  ASSERT_TRUE(edges);
  EXPECT_EQ(*edges, (std::vector<std::string>{"edge-1", "edge-2"}));
  ASSERT_TRUE(run([&]() { return two.withdraw({"shop"}); }));
  edges = run([&]() { return one.edges_for("shop"); });
  EXPECT_EQ(*edges, (std::vector<std::string>{"edge-1"}));
  auto ttl = cmd({"PTTL", one.key("shop")});
  EXPECT_GT(ttl->integer, 10'000);
  EXPECT_LE(ttl->integer, 15'000);
}

TEST(RedisUrl, ParsesAndRefuses) {
  auto ep = parse_redis_url("redis://:env:PW@10.0.0.1:6380/2");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_EQ(ep->host, "10.0.0.1");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->db, 2);
  EXPECT_EQ(ep->password, "env:PW");
  EXPECT_EQ(ep->display(), "10.0.0.1:6380/2");
  ep = parse_redis_url("redis://[::1]/");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 6379);
  for (const char* bad : {"http://x:1/0", "redis://", "redis://h:0/0", "redis://h:99999",
                          "redis://h:1/x", "redis://user:pw@h:1/0", "redis://h:/0"}) {
    auto refused = parse_redis_url(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_FALSE(refused.error().message.empty());
  }
  // idle-sessions: rediss:// (TLS), with ?cacert=PATH for a private CA.
  ep = parse_redis_url("rediss://:file:/run/pw@redis.internal:6380/1?cacert=/etc/relay/ca.pem");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_TRUE(ep->tls);
  EXPECT_EQ(ep->host, "redis.internal");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->db, 1);
  EXPECT_EQ(ep->password, "file:/run/pw");
  EXPECT_EQ(ep->ca_file, "/etc/relay/ca.pem");
  ep = parse_redis_url("rediss://h?cacert=/ca.pem");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_EQ(ep->db, 0);
  EXPECT_EQ(ep->ca_file, "/ca.pem");
  for (const char* bad : {"redis://h/0?cacert=/ca.pem", "rediss://h/0?cacert=", "rediss://h/0?x=1",
                          "rediss://h/0?cacert=/a&x=1"}) {
    auto refused = parse_redis_url(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_FALSE(refused.error().message.empty());
  }
}

}  // namespace
}  // namespace relay::store::redis

namespace relay::store::redis {
namespace {

// A server that accepts and never answers (a hung Redis, a black-holed path): the client gives
// up within its connect timeout, says why, and commands fail at once instead of piling up.
TEST(RedisConnectionTimeout, SilentServerIsUnavailableWithinTheTimeout) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> held;
  std::function<void()> accept = [&] {
    auto s = std::make_shared<asio::ip::tcp::socket>(io);
    acceptor.async_accept(*s, [&, s](const boost::system::error_code& ec) {
      if (ec) return;
      held.push_back(s);
      accept();
    });
  };
  accept();
  RedisClientOptions options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = acceptor.local_endpoint().port();
  options.connect_timeout = std::chrono::milliseconds(200);
  options.backoff_max = std::chrono::milliseconds(200);
  auto redis = RedisConnection::create(io.get_executor(), options);
  std::vector<std::string> reports;
  redis->on_availability = [&](bool up, const std::string& why) {
    reports.push_back(up ? "up" : why);
  };
  redis->start();
  const auto started = std::chrono::steady_clock::now();
  while (reports.empty() && std::chrono::steady_clock::now() - started < std::chrono::seconds(5)) {
    io.run_for(std::chrono::milliseconds(10));
  }
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(reports.size(), 1U);
  EXPECT_NE(reports[0].find("did not answer"), std::string::npos) << "[" << reports[0] << "]";
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_FALSE(redis->available());
  // Further failed attempts are not reported again.
  io.run_for(std::chrono::milliseconds(600));
  EXPECT_EQ(reports.size(), 1U);
  EXPECT_GE(held.size(), 2U);  // it did retry
  redis->stop();
  io.run_for(std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace relay::store::redis
