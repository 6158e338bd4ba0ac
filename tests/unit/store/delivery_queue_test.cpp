// The DeliveryQueue and PolicyStore contract (include/relay/store/delivery_queue.hpp), run on
// every implementation: the memory store and the SQLite store.
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "relay/store/error.hpp"
#include "unit/store/queue_test_support.hpp"

namespace relay::store {
namespace {

using test::QueueTest;

constexpr std::int64_t kT0 = 1'700'000'000'000;  // ms
constexpr std::int64_t kLease = 60'000;

NewDelivery request(std::string tunnel, std::string path, std::string body = "{}",
                    std::string event_id = "", std::int64_t at = kT0) {
  NewDelivery d;
  d.tunnel = std::move(tunnel);
  d.headers = {{":method", "POST"},
               {":scheme", "https"},
               {":authority", "hook.relay.test"},
               {":path", std::move(path)},
               {"content-type", "application/json"},
               {"x-signature", "t=1,v1=abc"},
               {"x-signature", "second"},
               {"relay-request-id", "req-1"}};
  d.body = std::move(body);
  d.received_at_ms = at;
  d.event_id = std::move(event_id);
  return d;
}

core::BufferPolicy policy(std::uint64_t max_events = 100) {
  core::BufferPolicy p;
  p.mode = core::BufferMode::offline;
  p.max_events = max_events;
  p.ttl = std::chrono::hours(1);
  p.dedupe_window = std::chrono::minutes(10);
  return p;
}

TEST_P(QueueTest, LeaseGivesBackTheStoredRequestByteExact) {
  const std::string body("a\0b\xff\r\n", 6);
  const auto added = ok(q().append(request("hook", "/x?y=1", body), policy()));
  EXPECT_FALSE(added.duplicate);
  EXPECT_FALSE(added.id.empty());

  auto leased = ok(q().lease("hook", 10, kT0 + 5, kLease));
  ASSERT_EQ(leased.size(), 1u);
  const auto& d = leased[0];
  EXPECT_EQ(d.id, added.id);
  EXPECT_EQ(d.tunnel, "hook");
  EXPECT_EQ(d.state, DeliveryState::delivering);
  EXPECT_EQ(d.body, body);
  EXPECT_EQ(d.body_bytes, body.size());
  EXPECT_EQ(d.method, "POST");
  EXPECT_EQ(d.path, "/x?y=1");
  ASSERT_EQ(d.headers.size(), 8u);
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& f : d.headers) fields.emplace_back(f.name, f.value);
  EXPECT_EQ(fields[0], (std::pair<std::string, std::string>{":method", "POST"}));
  EXPECT_EQ(fields[5], (std::pair<std::string, std::string>{"x-signature", "t=1,v1=abc"}));
  EXPECT_EQ(fields[6], (std::pair<std::string, std::string>{"x-signature", "second"}));
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.received_at_ms, kT0);
  EXPECT_EQ(d.expires_at_ms, kT0 + 3'600'000);
  EXPECT_EQ(d.next_attempt_at_ms, kT0 + 5 + kLease);
  // Leased: not due again while the lease runs.
  EXPECT_TRUE(ok(q().lease("hook", 10, kT0 + 10, kLease)).empty());
}

TEST_P(QueueTest, IdsAreUniqueAndUnknownIdsAreNotFound) {
  const auto a = ok(q().append(request("hook", "/a"), policy())).id;
  const auto b = ok(q().append(request("hook", "/b"), policy())).id;
  EXPECT_NE(a, b);
  EXPECT_FALSE(ok(q().get("nope")).has_value());
  EXPECT_FALSE(ok(q().get(a + "0")).has_value());
  EXPECT_FALSE(ok(q().drop("")));
  EXPECT_FALSE(ok(q().drop("00000000-1")));
  EXPECT_FALSE(ok(q().retry("x", kT0)));
  ok(q().ack("unknown", 200, kT0));  // a delivery dropped meanwhile: nothing to do
  EXPECT_EQ(ok(q().get(a))->path, "/a");
}

TEST_P(QueueTest, DuplicateEventWithinTheWindowIsNotStored) {
  const auto first = ok(q().append(request("hook", "/a", "1", "evt_1"), policy()));
  const auto again = ok(q().append(request("hook", "/a", "1", "evt_1", kT0 + 1000), policy()));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.id, first.id);
  // Another tunnel, or no event id: stored.
  EXPECT_FALSE(ok(q().append(request("other", "/a", "1", "evt_1"), policy())).duplicate);
  EXPECT_FALSE(ok(q().append(request("hook", "/a"), policy())).duplicate);
  EXPECT_FALSE(ok(q().append(request("hook", "/a"), policy())).duplicate);
  // Past the window (10 min): a new delivery.
  const auto later =
      ok(q().append(request("hook", "/a", "1", "evt_1", kT0 + 11 * 60'000), policy()));
  EXPECT_FALSE(later.duplicate);
  EXPECT_NE(later.id, first.id);
  const auto stats = ok(q().stats());
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].tunnel, "hook");
  EXPECT_EQ(stats[0].queued, 4u);
}

TEST_P(QueueTest, RememberedLiveEventCountsForDedupe) {
  ok(q().remember_event("hook", "evt_9", "req-live", kT0));
  EXPECT_EQ(ok(q().find_event("hook", "evt_9", kT0 - 1)), std::optional<std::string>("req-live"));
  EXPECT_FALSE(ok(q().find_event("hook", "evt_9", kT0 + 1)).has_value());
  EXPECT_FALSE(ok(q().find_event("other", "evt_9", 0)).has_value());
  const auto dup = ok(q().append(request("hook", "/a", "1", "evt_9", kT0 + 5), policy()));
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.id, "req-live");
  // An appended one is found too.
  const auto stored = ok(q().append(request("hook", "/a", "1", "evt_10", kT0 + 5), policy()));
  EXPECT_EQ(ok(q().find_event("hook", "evt_10", kT0)), std::optional<std::string>(stored.id));
}

TEST_P(QueueTest, FullWhenTheTunnelHoldsMaxEventsQueuedOrDelivering) {
  ok(q().append(request("hook", "/1"), policy(2)));
  ok(q().append(request("hook", "/2"), policy(2)));
  auto third = sync(q().append(request("hook", "/3"), policy(2)));
  ASSERT_TRUE(third.has_error());
  EXPECT_EQ(third.error(), make_error_code(Errc::full));
  EXPECT_FALSE(ok(q().append(request("other", "/1"), policy(2))).duplicate);  // per tunnel
  // A leased one still counts; a delivered one no more.
  auto leased = ok(q().lease("hook", 1, kT0, kLease));
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_TRUE(sync(q().append(request("hook", "/3"), policy(2))).has_error());
  ok(q().ack(leased[0].id, 200, kT0 + 1));
  EXPECT_FALSE(sync(q().append(request("hook", "/3"), policy(2))).has_error());
}

TEST_P(QueueTest, LeaseTakesTheOldestDueFirstUpToMax) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(
        ok(q().append(request("hook", "/" + std::to_string(i), "b", "", kT0 + i), policy())).id);
  }
  ok(q().append(request("other", "/x"), policy()));
  auto first = ok(q().lease("hook", 2, kT0 + 10, kLease));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, ids[0]);
  EXPECT_EQ(first[1].id, ids[1]);
  // The first fails: retried later; until then the others come.
  ok(q().nack(ids[0], 503, "503 from the app", kT0 + 1000, kT0 + 20));
  auto second = ok(q().lease("hook", 10, kT0 + 30, kLease));
  ASSERT_EQ(second.size(), 3u);
  EXPECT_EQ(second[0].id, ids[2]);
  // At its retry time it is due again, with its attempt count kept.
  EXPECT_EQ(ok(q().next_due("hook")), std::optional<std::int64_t>(kT0 + 1000));
  auto third = ok(q().lease("hook", 10, kT0 + 1000, kLease));
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].id, ids[0]);
  EXPECT_EQ(third[0].attempts, 2);
  EXPECT_EQ(third[0].last_status, 503);
  EXPECT_EQ(third[0].last_error, "503 from the app");
  EXPECT_EQ(third[0].body, "b");
}

TEST_P(QueueTest, AnExpiredLeaseMakesTheDeliveryDueAgain) {
  const auto id = ok(q().append(request("hook", "/a"), policy())).id;
  ASSERT_EQ(ok(q().lease("hook", 1, kT0, kLease)).size(), 1u);
  EXPECT_EQ(ok(q().next_due("hook")), std::optional<std::int64_t>(kT0 + kLease));
  EXPECT_TRUE(ok(q().lease("hook", 1, kT0 + kLease - 1, kLease)).empty());
  auto again = ok(q().lease("hook", 1, kT0 + kLease, kLease));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, id);
  EXPECT_EQ(again[0].attempts, 2);
}

TEST_P(QueueTest, AnAppendLeasedAtOnceIsDeliveringAndDueOnlyWhenItsLeaseEnds) {
  auto d = request("hook", "/handed");
  d.leased_until_ms = kT0 + kLease;
  const auto id = ok(q().append(std::move(d), policy())).id;
  const auto queued = ok(q().append(request("hook", "/queued"), policy())).id;
  // The worker has the first from memory: a lease gives only the other one.
  auto leased = ok(q().lease("hook", 10, kT0, kLease));
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_EQ(leased[0].id, queued);
  auto listed = ok(q().list({.tunnel = "hook", .state = DeliveryState::delivering}));
  ASSERT_EQ(listed.size(), 2u);
  const auto stored = ok(q().get(id));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->attempts, 1);
  EXPECT_EQ(stored->next_attempt_at_ms, kT0 + kLease);
  // It counts against max_events like any pending delivery.
  for (const auto& s : ok(q().stats())) EXPECT_EQ(s.delivering, 2u);
  // An edge that died with it in flight: due again once the lease lapses, as its 2nd attempt.
  auto again = ok(q().lease("hook", 10, kT0 + kLease, kLease));
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].id, id);
  EXPECT_EQ(again[0].attempts, 2);
  ok(q().ack(id, 200, kT0 + kLease));
  EXPECT_EQ(ok(q().get(id))->state, DeliveryState::delivered);
}

TEST_P(QueueTest, AckKeepsTheDeliveryWithoutItsBody) {
  const auto id = ok(q().append(request("hook", "/a", std::string(1000, 'x')), policy())).id;
  ASSERT_EQ(ok(q().lease("hook", 1, kT0, kLease)).size(), 1u);
  ok(q().ack(id, 204, kT0 + 50));
  auto d = ok(q().get(id));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->state, DeliveryState::delivered);
  EXPECT_TRUE(d->body.empty());
  EXPECT_EQ(d->body_bytes, 1000u);
  EXPECT_EQ(d->last_status, 204);
  EXPECT_EQ(d->attempts, 1);
  EXPECT_EQ(d->updated_at_ms, kT0 + 50);
  EXPECT_FALSE(ok(q().next_due("hook")).has_value());
  EXPECT_TRUE(ok(q().tunnels_with_queued()).empty());
  // Nothing to send again.
  EXPECT_FALSE(ok(q().retry(id, kT0 + 60)));
}

TEST_P(QueueTest, DeadLetterKeepsTheBodyAndRetryQueuesItAgain) {
  const auto id = ok(q().append(request("hook", "/a", "payload"), policy())).id;
  ASSERT_EQ(ok(q().lease("hook", 1, kT0, kLease)).size(), 1u);
  EXPECT_FALSE(ok(q().retry(id, kT0)));  // delivering: not now
  ok(q().dead_letter(id, 403, "403 RELAY_SIGNATURE_INVALID {\"error\":\"bad\"}", kT0 + 5));
  auto dead = ok(q().get(id));
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->state, DeliveryState::dead);
  EXPECT_EQ(dead->body, "payload");
  EXPECT_EQ(dead->last_status, 403);
  EXPECT_EQ(dead->last_error, "403 RELAY_SIGNATURE_INVALID {\"error\":\"bad\"}");
  EXPECT_TRUE(ok(q().lease("hook", 1, kT0 + 10, kLease)).empty());

  EXPECT_TRUE(ok(q().retry(id, kT0 + 100)));
  EXPECT_FALSE(ok(q().retry(id, kT0 + 100)));  // queued already
  EXPECT_EQ(ok(q().tunnels_with_queued()), std::vector<std::string>{"hook"});
  auto again = ok(q().lease("hook", 1, kT0 + 100, kLease));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 1);  // reset by the retry
  EXPECT_EQ(again[0].body, "payload");
}

TEST_P(QueueTest, ExpireDeadLettersPastTtlAndForgetsOldFinishedOnes) {
  const auto old_id = ok(q().append(request("hook", "/old", "b", "evt_old"), policy())).id;
  const auto young =
      ok(q().append(request("hook", "/young", "b", "", kT0 + 3'000'000), policy())).id;
  const auto done = ok(q().append(request("other", "/done"), policy())).id;
  ASSERT_EQ(ok(q().lease("other", 1, kT0, kLease)).size(), 1u);
  ok(q().ack(done, 200, kT0 + 1));

  const std::int64_t retention = 7LL * 24 * 3'600'000;
  EXPECT_EQ(ok(q().expire(kT0 + 3'600'000, retention)), 1u);  // ttl 1 h
  auto old = ok(q().get(old_id));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->state, DeliveryState::dead);
  EXPECT_EQ(old->last_error, "expired: queued longer than the tunnel's buffer_ttl");
  EXPECT_EQ(ok(q().get(young))->state, DeliveryState::queued);
  EXPECT_EQ(ok(q().expire(kT0 + 3'600'000, retention)), 0u);
  // The dedupe entry outlives nothing past its window (10 min).
  EXPECT_FALSE(ok(q().find_event("hook", "evt_old", 0)).has_value());

  // After the retention, finished ones are gone; the queued one is dead too by then.
  EXPECT_EQ(ok(q().expire(kT0 + 3'600'000 + retention + 1, retention)), 1u);
  EXPECT_FALSE(ok(q().get(old_id)).has_value());
  EXPECT_FALSE(ok(q().get(done)).has_value());
  EXPECT_EQ(ok(q().get(young))->state, DeliveryState::dead);
}

TEST_P(QueueTest, DropAndPurgeLeaveDeliveriesInFlightAlone) {
  const auto a = ok(q().append(request("hook", "/a"), policy())).id;
  const auto b = ok(q().append(request("hook", "/b"), policy())).id;
  const auto c = ok(q().append(request("hook", "/c"), policy())).id;
  const auto d = ok(q().append(request("hook", "/d"), policy())).id;
  ok(q().append(request("other", "/x"), policy()));
  auto leased = ok(q().lease("hook", 2, kT0, kLease));  // a, b
  ASSERT_EQ(leased.size(), 2u);
  ok(q().dead_letter(b, 400, "400", kT0 + 1));
  EXPECT_FALSE(ok(q().drop(a)));  // in flight
  EXPECT_TRUE(ok(q().drop(c)));
  EXPECT_FALSE(ok(q().drop(c)));
  EXPECT_EQ(ok(q().purge("hook", DeliveryState::dead)), 1u);
  EXPECT_FALSE(ok(q().get(b)).has_value());
  EXPECT_EQ(ok(q().purge("hook", std::nullopt)), 1u);  // d; a is delivering
  EXPECT_FALSE(ok(q().get(d)).has_value());
  EXPECT_TRUE(ok(q().get(a)).has_value());
  EXPECT_EQ(ok(q().tunnels_with_queued()), (std::vector<std::string>{"hook", "other"}));
  ok(q().ack(a, 200, kT0 + 2));
  EXPECT_EQ(ok(q().tunnels_with_queued()), std::vector<std::string>{"other"});
}

TEST_P(QueueTest, StatsCountEachStatePerTunnel) {
  EXPECT_TRUE(ok(q().stats()).empty());
  ok(q().append(request("b-hook", "/1", "12345", "", kT0 + 10), policy()));
  ok(q().append(request("b-hook", "/2", "123", "", kT0 + 20), policy()));
  ok(q().append(request("b-hook", "/3", "1", "", kT0 + 30), policy()));
  ok(q().append(request("b-hook", "/4", "1", "", kT0 + 40), policy()));
  const auto a = ok(q().append(request("a-hook", "/1", "xx"), policy())).id;
  auto leased = ok(q().lease("b-hook", 2, kT0 + 50, kLease));
  ASSERT_EQ(leased.size(), 2u);
  ok(q().ack(leased[0].id, 200, kT0 + 60));
  ASSERT_EQ(ok(q().lease("a-hook", 1, kT0 + 50, kLease)).size(), 1u);
  ok(q().dead_letter(a, 404, "404", kT0 + 60));

  const auto stats = ok(q().stats());
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].tunnel, "a-hook");
  EXPECT_EQ(stats[0].dead, 1u);
  EXPECT_EQ(stats[0].queued, 0u);
  EXPECT_EQ(stats[0].oldest_queued_ms, 0);
  EXPECT_EQ(stats[1].tunnel, "b-hook");
  EXPECT_EQ(stats[1].queued, 2u);
  EXPECT_EQ(stats[1].delivering, 1u);
  EXPECT_EQ(stats[1].delivered, 1u);
  EXPECT_EQ(stats[1].dead, 0u);
  EXPECT_EQ(stats[1].oldest_queued_ms, kT0 + 30);
  EXPECT_EQ(stats[1].queued_bytes, 2u);
}

TEST_P(QueueTest, ListIsNewestFirstFilteredAndWithoutBodies) {
  for (int i = 0; i < 4; ++i) {
    ok(q().append(request("hook", "/" + std::to_string(i), "body"), policy()));
  }
  ok(q().append(request("other", "/o"), policy()));
  auto leased = ok(q().lease("hook", 1, kT0, kLease));
  ASSERT_EQ(leased.size(), 1u);

  auto all = ok(q().list({}));
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].path, "/o");
  EXPECT_EQ(all[4].path, "/0");
  for (const auto& d : all) {
    EXPECT_TRUE(d.body.empty());
    EXPECT_TRUE(d.headers.empty());
    EXPECT_EQ(d.method, "POST");
  }
  EXPECT_EQ(all[1].body_bytes, 4u);
  auto hook = ok(q().list({.tunnel = "hook", .state = DeliveryState::queued, .limit = 2}));
  ASSERT_EQ(hook.size(), 2u);
  EXPECT_EQ(hook[0].path, "/3");
  EXPECT_EQ(hook[1].path, "/2");
  auto delivering = ok(q().list({.tunnel = "", .state = DeliveryState::delivering}));
  ASSERT_EQ(delivering.size(), 1u);
  EXPECT_EQ(delivering[0].id, leased[0].id);
  EXPECT_EQ(delivering[0].attempts, 1);
  EXPECT_TRUE(ok(q().list({.tunnel = "nobody"})).empty());
}

TEST_P(QueueTest, PoliciesAreSavedReplacedAndRemovedWhenOff) {
  auto& policies = store().policies();
  EXPECT_TRUE(policies.all().value().empty());
  auto p = policy(42);
  p.mode = core::BufferMode::always;
  p.ordered = true;
  p.concurrency = 1;
  p.status = 202;
  ASSERT_TRUE(policies.save("hook", p).has_value());
  ASSERT_TRUE(policies.save("api", policy()).has_value());
  auto all = policies.all().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, "api");
  EXPECT_EQ(all[1].first, "hook");
  EXPECT_EQ(all[1].second, p);
  ASSERT_TRUE(policies.save("api", core::BufferPolicy{}).has_value());  // off
  all = policies.all().value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].first, "hook");
}

TEST(DeliveryState, NamesRoundTrip) {
  for (auto s : {DeliveryState::queued, DeliveryState::delivering, DeliveryState::delivered,
                 DeliveryState::dead}) {
    EXPECT_EQ(parse_delivery_state(to_string(s)), s);
  }
  EXPECT_FALSE(parse_delivery_state("Queued").has_value());
  EXPECT_FALSE(parse_delivery_state("").has_value());
}

INSTANTIATE_TEST_SUITE_P(Stores, QueueTest, ::testing::Values("memory", "sqlite"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace relay::store
