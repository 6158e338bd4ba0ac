#include "edge/delivery_control.hpp"

#include <map>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "relay/store/error.hpp"

namespace relay::edge {
namespace {

namespace asio = boost::asio;
namespace protocol = net::protocol;
using store::Delivery;
using store::DeliveryState;

// Just enough of a queue for the control commands: rows by id, lists newest first.
class FakeQueue : public store::DeliveryQueue {
 public:
  std::map<std::string, Delivery> rows;
  bool broken = false;

  void add(std::string id, std::string tunnel, DeliveryState state, std::int64_t received_at,
           std::string last_error = "") {
    Delivery d;
    d.id = id;
    d.tunnel = std::move(tunnel);
    d.state = state;
    d.method = "POST";
    d.path = "/hook";
    d.received_at_ms = received_at;
    d.next_attempt_at_ms = received_at + 1000;
    d.last_error = std::move(last_error);
    rows[id] = d;
  }

  Async<store::AppendOutcome> append(store::NewDelivery, const core::BufferPolicy&) override {
    co_return store::AppendOutcome{};
  }
  Async<void> remember_event(std::string, std::string, std::string, std::int64_t) override {
    co_return core::Result<void>{};
  }
  Async<std::optional<std::string>> find_event(std::string, std::string, std::int64_t) override {
    co_return std::optional<std::string>{};
  }
  Async<std::vector<Delivery>> lease(std::string, std::size_t, std::int64_t,
                                     std::int64_t) override {
    co_return std::vector<Delivery>{};
  }
  Async<void> ack(std::string, int, std::int64_t) override { co_return core::Result<void>{}; }
  Async<void> nack(std::string, int, std::string, std::int64_t, std::int64_t) override {
    co_return core::Result<void>{};
  }
  Async<void> dead_letter(std::string, int, std::string, std::int64_t) override {
    co_return core::Result<void>{};
  }
  Async<std::uint64_t> expire(std::int64_t, std::int64_t) override { co_return std::uint64_t{0}; }
  Async<std::optional<std::int64_t>> next_due(std::string) override {
    co_return std::optional<std::int64_t>{};
  }
  Async<std::vector<std::string>> tunnels_with_queued() override {
    co_return std::vector<std::string>{};
  }
  Async<std::vector<Delivery>> list(store::DeliveryFilter filter) override {
    if (broken) co_return make_error_code(store::Errc::unavailable);
    std::vector<Delivery> out;
    for (const auto& [id, d] : rows) {
      if (!filter.tunnel.empty() && d.tunnel != filter.tunnel) continue;
      if (filter.state && d.state != *filter.state) continue;
      out.push_back(d);
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.received_at_ms > b.received_at_ms; });
    if (out.size() > filter.limit) out.resize(filter.limit);
    co_return out;
  }
  Async<std::optional<Delivery>> get(std::string id) override {
    if (broken) co_return make_error_code(store::Errc::unavailable);
    auto it = rows.find(id);
    if (it == rows.end()) co_return std::optional<Delivery>{};
    co_return std::optional<Delivery>{it->second};
  }
  Async<bool> retry(std::string id, std::int64_t now) override {
    auto it = rows.find(id);
    if (it == rows.end()) co_return false;
    it->second.state = DeliveryState::queued;
    it->second.next_attempt_at_ms = now;
    co_return true;
  }
  Async<bool> drop(std::string id) override { co_return rows.erase(id) > 0; }
  Async<std::uint64_t> purge(std::string tunnel, std::optional<DeliveryState> state) override {
    std::uint64_t n = 0;
    for (auto it = rows.begin(); it != rows.end();) {
      const bool match =
          it->second.tunnel == tunnel &&
          (state ? it->second.state == *state : it->second.state != DeliveryState::delivering);
      if (match) {
        it = rows.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    co_return n;
  }
  Async<std::vector<store::TunnelQueueStats>> stats() override {
    co_return std::vector<store::TunnelQueueStats>{};
  }
};

template <class T>
T run(asio::awaitable<T> op) {
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    out = std::move(value);
  });
  io.run();
  return std::move(*out);
}

class DeliveryControl : public ::testing::Test {
 protected:
  void SetUp() override {
    queue.add("a1", "alpha", DeliveryState::queued, 100);
    queue.add("a2", "alpha", DeliveryState::dead, 300, "HTTP 400: bad");
    queue.add("a3", "alpha", DeliveryState::delivering, 200);
    queue.add("b1", "beta", DeliveryState::dead, 400);
    queue.add("x1", "other", DeliveryState::dead, 500);  // another agent's tunnel
  }

  protocol::DeliveryResultMessage command(std::string action, std::string id,
                                          std::string tunnel = "", std::string state = "") {
    protocol::DeliveryCommandMessage m{"r1", std::move(action), std::move(id), std::move(tunnel),
                                       std::move(state)};
    const std::function<void(const std::string&)> wake = [this](const std::string& t) {
      woken.push_back(t);
    };
    return run(run_delivery_command(queue, m, own, 9999, wake));
  }
  std::vector<std::string> ids(const protocol::DeliveriesMessage& m) {
    std::vector<std::string> out;
    for (const auto& d : m.deliveries) out.push_back(d.id);
    return out;
  }

  FakeQueue queue;
  std::vector<std::string> own{"alpha", "beta"};
  std::vector<std::string> woken;
};

TEST_F(DeliveryControl, ListsOnlyTheSessionsTunnelsNewestFirst) {
  auto all = run(list_deliveries(queue, {"q", "", "", 100}, own));
  EXPECT_EQ(all.request, "q");
  EXPECT_EQ(ids(all), (std::vector<std::string>{"b1", "a2", "a3", "a1"}));
  auto dead = run(list_deliveries(queue, {"q", "alpha", "dead", 100}, own));
  EXPECT_EQ(ids(dead), (std::vector<std::string>{"a2"}));
  EXPECT_EQ(dead.deliveries[0].last_error, "HTTP 400: bad");
  EXPECT_EQ(dead.deliveries[0].next_attempt_at_ms, 0);  // dead: nothing scheduled
  EXPECT_EQ(run(list_deliveries(queue, {"q", "alpha", "queued", 100}, own))
                .deliveries[0]
                .next_attempt_at_ms,
            1100);
  auto limited = run(list_deliveries(queue, {"q", "", "", 2}, own));
  EXPECT_EQ(ids(limited), (std::vector<std::string>{"b1", "a2"}));
}

TEST_F(DeliveryControl, ForeignOrUnknownTunnelsAndStatesListNothing) {
  EXPECT_TRUE(run(list_deliveries(queue, {"q", "other", "", 100}, own)).deliveries.empty());
  EXPECT_TRUE(run(list_deliveries(queue, {"q", "nope", "", 100}, own)).deliveries.empty());
  EXPECT_TRUE(run(list_deliveries(queue, {"q", "", "lost", 100}, own)).deliveries.empty());
  queue.broken = true;
  EXPECT_TRUE(run(list_deliveries(queue, {"q", "", "", 100}, own)).deliveries.empty());
}

TEST_F(DeliveryControl, AListStaysUnderTheControlLineLimit) {
  for (int i = 0; i < 1000; ++i) {
    queue.add("long" + std::to_string(i), "alpha", DeliveryState::dead, 1000 + i,
              std::string(300, 'e'));
  }
  auto all = run(list_deliveries(queue, {"q", "", "", 1000}, own));
  EXPECT_GT(all.deliveries.size(), 50U);
  EXPECT_LT(all.deliveries.size(), 1000U);
  EXPECT_LE(protocol::serialize(protocol::ControlMessage{all}).size(), 64U * 1024);
  EXPECT_EQ(all.deliveries.front().id, "long999");  // the newest are kept
}

TEST_F(DeliveryControl, RetryQueuesADeadOneAndWakesItsTunnel) {
  auto r = command("retry", "a2");
  EXPECT_EQ(r.request, "r1");
  EXPECT_EQ(r.code, "");
  EXPECT_EQ(r.count, 1U);
  EXPECT_EQ(queue.rows["a2"].state, DeliveryState::queued);
  EXPECT_EQ(woken, (std::vector<std::string>{"alpha"}));
  // Already queued: nothing to do, not an error.
  r = command("retry", "a1");
  EXPECT_EQ(r.code, "");
  EXPECT_EQ(r.count, 0U);
}

TEST_F(DeliveryControl, AnotherAgentsDeliveryIsNotFound) {
  EXPECT_EQ(command("retry", "x1").code, "not_found");
  EXPECT_EQ(command("drop", "x1").code, "not_found");
  EXPECT_EQ(command("drop", "missing").code, "not_found");
  EXPECT_EQ(command("purge", "", "other").code, "not_found");
  EXPECT_TRUE(queue.rows.contains("x1"));
  EXPECT_TRUE(woken.empty());
}

TEST_F(DeliveryControl, DropRemovesOneButNotWhileItIsBeingDelivered) {
  auto r = command("drop", "a2");
  EXPECT_EQ(r.code, "");
  EXPECT_EQ(r.count, 1U);
  EXPECT_FALSE(queue.rows.contains("a2"));
  EXPECT_EQ(command("drop", "a3").code, "conflict");
  EXPECT_TRUE(queue.rows.contains("a3"));
}

TEST_F(DeliveryControl, PurgeClearsATunnelButNeverWhatIsInFlight) {
  auto r = command("purge", "", "alpha", "dead");
  EXPECT_EQ(r.count, 1U);
  r = command("purge", "", "alpha");
  EXPECT_EQ(r.code, "");
  EXPECT_EQ(r.count, 1U);  // a1; a3 is delivering
  EXPECT_TRUE(queue.rows.contains("a3"));
  EXPECT_EQ(command("purge", "", "alpha", "delivering").code, "bad_request");
  EXPECT_EQ(command("purge", "", "alpha", "weird").code, "bad_request");
  EXPECT_EQ(command("purge", "", "").code, "bad_request");
}

TEST_F(DeliveryControl, BadRequestsAndABrokenStoreSaySo) {
  auto r = command("resend", "a1");
  EXPECT_EQ(r.code, "bad_request");
  EXPECT_NE(r.message.find("retry, drop or purge"), std::string::npos);
  EXPECT_EQ(command("retry", "").code, "bad_request");
  queue.broken = true;
  r = command("retry", "a2");
  EXPECT_EQ(r.code, "store_unavailable");
  EXPECT_FALSE(r.message.empty());
}

}  // namespace
}  // namespace relay::edge
