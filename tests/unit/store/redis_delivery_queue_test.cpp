// cluster: queue. RedisDeliveryQueue (include/relay/store/redis/redis_delivery_queue.hpp)
// against a real redis-server: the DeliveryQueue contract on Streams, and what only a shared
// queue has: two edges (consumers) on one Redis, a dead edge's leases reclaimed by the other.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "relay/store/error.hpp"
#include "relay/store/redis/redis_delivery_queue.hpp"
#include "unit/store/redis_server.hpp"

namespace relay::store::redis {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class RedisQueueTest : public test::RedisClientTest {
 protected:
  void SetUp() override {
    RedisClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    a_ = std::make_unique<RedisDeliveryQueue>(redis_, "edge-a");
    b_ = std::make_unique<RedisDeliveryQueue>(redis_, "edge-b");
  }

  static NewDelivery request(std::string body, std::string event = "") {
    NewDelivery d;
    d.tunnel = "hooks";
    d.headers.add(":method", "POST");
    d.headers.add(":path", "/stripe");
    d.headers.add("x-sig", std::string("v\0\r\n", 4));
    d.body = std::move(body);
    d.received_at_ms = now_ms();
    d.event_id = std::move(event);
    return d;
  }
  AppendOutcome append(RedisDeliveryQueue& q, NewDelivery d, core::BufferPolicy p = {}) {
    auto r = run([&]() { return q.append(std::move(d), p); });
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : AppendOutcome{};
  }
  std::vector<Delivery> lease(RedisDeliveryQueue& q, std::size_t max, std::int64_t lease_ms) {
    auto r = run([&]() { return q.lease("hooks", max, now_ms(), lease_ms); });
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : std::vector<Delivery>{};
  }
  Delivery get(const std::string& id) {
    auto r = run([&]() { return a_->get(id); });
    EXPECT_TRUE(r && *r);
    return r && *r ? **r : Delivery{};
  }

  std::unique_ptr<RedisDeliveryQueue> a_;  // edge A's view
  std::unique_ptr<RedisDeliveryQueue> b_;  // edge B's, on the same Redis
};

TEST_F(RedisQueueTest, AppendLeaseAckOldestFirstByteExact) {
  const std::string binary("\x00\xff body\r\n", 9);
  auto first = append(*a_, request(binary));
  auto second = append(*b_, request("two"));  // appended by another edge: one queue
  auto third = append(*a_, request("three"));
  ASSERT_FALSE(first.id.empty());
  EXPECT_NE(first.id, second.id);
  auto leased = lease(*a_, 10, 60'000);
  ASSERT_EQ(leased.size(), 3U);
  EXPECT_EQ(leased[0].id, first.id);
  EXPECT_EQ(leased[1].id, second.id);
  EXPECT_EQ(leased[2].id, third.id);
  EXPECT_EQ(leased[0].body, binary);
  EXPECT_EQ(leased[0].headers.get("x-sig").value_or(""), std::string("v\0\r\n", 4));
  EXPECT_EQ(leased[0].method, "POST");
  EXPECT_EQ(leased[0].attempts, 1);
  EXPECT_EQ(leased[0].state, DeliveryState::delivering);
  EXPECT_TRUE(lease(*b_, 10, 60'000).empty());  // leased: not handed out twice

  ASSERT_TRUE(run([&]() { return a_->ack(first.id, 200, now_ms()); }));
  auto done = get(first.id);
  EXPECT_EQ(done.state, DeliveryState::delivered);
  EXPECT_EQ(done.last_status, 200);
  EXPECT_TRUE(done.body.empty());
  auto stats = run([&]() { return a_->stats(); });
  ASSERT_TRUE(stats);
  ASSERT_EQ(stats->size(), 1U);
  EXPECT_EQ((*stats)[0].delivered, 1U);
  EXPECT_EQ((*stats)[0].delivering, 2U);
  auto listed = run([&]() { return a_->list({}); });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 3U);
  EXPECT_EQ((*listed)[0].id, third.id);  // newest first
  EXPECT_TRUE((*listed)[0].body.empty());
}

TEST_F(RedisQueueTest, NackWaitsInTheSortedSetThenComesBackFirst) {
  auto first = append(*a_, request("1"));
  auto leased = lease(*a_, 1, 60'000);
  ASSERT_EQ(leased.size(), 1U);
  auto second = append(*a_, request("2"));
  const auto retry_at = now_ms() + 300;
  ASSERT_TRUE(run([&]() { return a_->nack(first.id, 503, "app down", retry_at, now_ms()); }));
  auto queued = get(first.id);
  EXPECT_EQ(queued.state, DeliveryState::queued);
  EXPECT_EQ(queued.last_error, "app down");
  auto next = run([&]() { return a_->next_due("hooks"); });
  ASSERT_TRUE(next && *next);
  EXPECT_LE(**next, now_ms());  // the second one is due now
  std::this_thread::sleep_for(350ms);
  leased = lease(*b_, 5, 60'000);
  ASSERT_EQ(leased.size(), 2U);
  EXPECT_EQ(leased[0].id, first.id);  // oldest first, though it went back to the stream last
  EXPECT_EQ(leased[0].attempts, 2);
  EXPECT_EQ(leased[1].id, second.id);
}

TEST_F(RedisQueueTest, DeadLetterRetryDropPurge) {
  auto one = append(*a_, request("1"));
  auto two = append(*a_, request("2"));
  ASSERT_EQ(lease(*a_, 1, 60'000).size(), 1U);
  EXPECT_FALSE(*run([&]() { return a_->drop(one.id); }));  // delivering: kept
  ASSERT_TRUE(run([&]() { return a_->dead_letter(one.id, 400, "bad request", now_ms()); }));
  EXPECT_EQ(get(one.id).state, DeliveryState::dead);
  EXPECT_EQ(get(one.id).body, "1");  // kept for inspection and retry
  EXPECT_TRUE(*run([&]() { return a_->retry(one.id, now_ms()); }));
  EXPECT_FALSE(*run([&]() { return a_->retry(one.id, now_ms()); }));  // queued already
  auto again = lease(*b_, 5, 60'000);
  ASSERT_EQ(again.size(), 2U);
  EXPECT_EQ(again[0].id, one.id);
  EXPECT_EQ(again[0].attempts, 1);  // reset by the retry
  ASSERT_TRUE(run([&]() { return b_->ack(two.id, 200, now_ms()); }));
  EXPECT_EQ(*run([&]() { return a_->purge("hooks", DeliveryState::delivered); }), 1U);
  EXPECT_FALSE(*run([&]() { return a_->drop(two.id); }));  // gone
  auto three = append(*a_, request("3"));
  EXPECT_TRUE(*run([&]() { return a_->drop(three.id); }));
  EXPECT_FALSE(*run([&]() { return a_->get(three.id); }));
}

TEST_F(RedisQueueTest, DedupeAcrossEdgesAndLiveRequests) {
  auto first = append(*a_, request("1", "evt_1"));
  auto again = append(*b_, request("1 again", "evt_1"));  // the provider's retry, to edge B
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(lease(*a_, 10, 60'000).size(), 1U);
  auto found = run([&]() { return b_->find_event("hooks", "evt_1", now_ms() - 60'000); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, first.id);
  ASSERT_TRUE(run([&]() { return a_->remember_event("hooks", "evt_live", "req-9", now_ms()); }));
  auto live = append(*b_, request("x", "evt_live"));
  EXPECT_TRUE(live.duplicate);
  EXPECT_EQ(live.id, "req-9");
  core::BufferPolicy short_window;
  short_window.dedupe_window = std::chrono::seconds(1);
  append(*a_, request("w", "evt_w"), short_window);
  std::this_thread::sleep_for(1100ms);  // the event key's PX ran out
  EXPECT_FALSE(append(*b_, request("w2", "evt_w"), short_window).duplicate);
}

TEST_F(RedisQueueTest, MaxEventsPerTunnelAcrossEdges) {
  core::BufferPolicy p;
  p.max_events = 2;
  append(*a_, request("1"), p);
  auto two = append(*b_, request("2"), p);
  auto full = run([&]() { return a_->append(request("3"), p); });
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error(), Errc::full);
  ASSERT_EQ(lease(*a_, 1, 60'000).size(), 1U);  // delivering still counts
  EXPECT_FALSE(run([&]() { return b_->append(request("3"), p); }));
  auto leased = lease(*a_, 1, 60'000);
  ASSERT_TRUE(run([&]() { return a_->ack(two.id, 200, now_ms()); }));
  EXPECT_TRUE(run([&]() { return b_->append(request("3"), p); }));
}

TEST_F(RedisQueueTest, ExpireDeadLettersPastTtlAndDropsOldRows) {
  core::BufferPolicy p;
  p.ttl = std::chrono::seconds(1);
  auto old = request("old");
  old.received_at_ms = now_ms() - 5000;
  auto stale = append(*a_, std::move(old), p);
  auto fresh = append(*a_, request("fresh"), p);
  auto expired = run([&]() { return a_->expire(now_ms(), 60'000); });
  ASSERT_TRUE(expired);
  EXPECT_EQ(*expired, 1U);
  auto dead = get(stale.id);
  EXPECT_EQ(dead.state, DeliveryState::dead);
  EXPECT_NE(dead.last_error.find("expired"), std::string::npos);
  auto leased = lease(*b_, 10, 60'000);  // the expired one left the stream
  ASSERT_EQ(leased.size(), 1U);
  EXPECT_EQ(leased[0].id, fresh.id);
  // Retention: dead and delivered rows older than it go.
  ASSERT_TRUE(run([&]() { return a_->expire(now_ms() + 10'000, 1000); }));
  EXPECT_FALSE(*run([&]() { return a_->get(stale.id); }));
  EXPECT_TRUE(*run([&]() { return a_->get(fresh.id); }));  // delivering: kept
}

// The dead-edge case: edge A leased deliveries (one by the hand-over, one from the stream) and
// died; edge B takes both over with XAUTOCLAIM once they were idle for the lease, not before.
// The lease is long enough that the steps "within the lease" finish inside it on a machine
// loaded by a sanitized build (a 400 ms lease once ran out between two of them).
TEST_F(RedisQueueTest, ADeadEdgesLeasesAreReclaimedByAnotherAfterTheLease) {
  constexpr std::int64_t kLeaseMs = 1500;
  constexpr auto kAfterLease = std::chrono::milliseconds(kLeaseMs + 200);
  auto leased_at_append = request("handed over");
  leased_at_append.leased_until_ms = now_ms() + kLeaseMs;
  auto handed = append(*a_, std::move(leased_at_append));
  EXPECT_EQ(get(handed.id).state, DeliveryState::delivering);
  auto queued = append(*a_, request("queued"));
  ASSERT_EQ(lease(*a_, 5, kLeaseMs).size(), 1U);  // the queued one; the handed one is leased
  EXPECT_TRUE(lease(*b_, 5, kLeaseMs).empty());   // both leased by A, within the lease
  std::this_thread::sleep_for(kAfterLease);       // A died: nobody acks
  auto reclaimed = lease(*b_, 5, kLeaseMs);
  ASSERT_EQ(reclaimed.size(), 2U);
  EXPECT_EQ(reclaimed[0].id, handed.id);
  EXPECT_EQ(reclaimed[0].attempts, 2);
  EXPECT_EQ(reclaimed[0].body, "handed over");
  EXPECT_EQ(reclaimed[1].id, queued.id);
  EXPECT_TRUE(lease(*a_, 5, kLeaseMs).empty());  // not twice
  ASSERT_TRUE(run([&]() { return b_->ack(handed.id, 200, now_ms()); }));
  ASSERT_TRUE(run([&]() { return b_->ack(queued.id, 200, now_ms()); }));
  std::this_thread::sleep_for(kAfterLease);
  EXPECT_TRUE(lease(*a_, 5, kLeaseMs).empty());  // acked: never again
  auto busy = run([&]() { return a_->tunnels_with_queued(); });
  ASSERT_TRUE(busy);
  EXPECT_TRUE(busy->empty());
  auto next = run([&]() { return a_->next_due("hooks"); });
  ASSERT_TRUE(next);
  EXPECT_FALSE(*next);
}

TEST_F(RedisQueueTest, RedisDownIsUnavailableNotQueued) {
  server_->stop();
  const core::BufferPolicy policy;  // outlives the call (append takes it by reference)
  auto r = run([&]() { return a_->append(request("1"), policy); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::unavailable);
}

TEST_F(RedisQueueTest, ScriptsSurviveRedisLosingItsScriptCache) {
  append(*a_, request("1"));
  auto flushed = run([&]() { return redis_->command({"SCRIPT", "FLUSH"}); });
  ASSERT_TRUE(flushed);
  EXPECT_EQ(lease(*a_, 5, 60'000).size(), 1U);  // NOSCRIPT: sent in full
}

TEST_F(RedisQueueTest, PoliciesAreSharedThroughRedis) {
  RedisPolicyStore on_a(redis_);
  RedisPolicyStore on_b(redis_);
  core::BufferPolicy p;
  p.mode = core::BufferMode::always;
  p.max_events = 7;
  p.ordered = true;
  ASSERT_TRUE(on_a.save("hooks", p));
  auto seen = run([&]() { return on_b.refresh(); });
  ASSERT_TRUE(seen);
  ASSERT_EQ(seen->size(), 1U);
  EXPECT_EQ((*seen)[0].first, "hooks");
  EXPECT_EQ((*seen)[0].second, p);
  ASSERT_TRUE(on_a.save("hooks", core::BufferPolicy{}));  // off: removed
  seen = run([&]() { return on_b.refresh(); });
  ASSERT_TRUE(seen);
  EXPECT_TRUE(seen->empty());
}

}  // namespace
}  // namespace relay::store::redis
