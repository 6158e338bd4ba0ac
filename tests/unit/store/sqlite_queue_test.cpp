// What only the SQLite queue promises: durability across a restart, the schema migration, the
// size limit, and many concurrent appends sharing commits.
#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "relay/store/error.hpp"
#include "unit/store/queue_test_support.hpp"

namespace relay::store {
namespace {

using test::QueueTest;
namespace asio = boost::asio;

constexpr std::int64_t kT0 = 1'700'000'000'000;

NewDelivery request(std::string tunnel, std::size_t body_bytes = 10, std::string event_id = "") {
  NewDelivery d;
  d.tunnel = std::move(tunnel);
  d.headers = {{":method", "POST"}, {":path", "/hook"}, {"x-a", "1"}};
  d.body = std::string(body_bytes, 'b');
  d.received_at_ms = kT0;
  d.event_id = std::move(event_id);
  return d;
}

core::BufferPolicy policy() {
  core::BufferPolicy p;
  p.mode = core::BufferMode::offline;
  return p;
}

class SqliteQueueTest : public QueueTest {};

TEST_P(SqliteQueueTest, QueueAndPoliciesSurviveARestart) {
  const auto a = ok(q().append(request("hook", 10, "evt_1"), policy())).id;
  const auto b = ok(q().append(request("hook"), policy())).id;
  ASSERT_EQ(ok(q().lease("hook", 1, kT0, 600'000)).size(), 1u);  // a: in flight
  auto p = policy();
  p.mode = core::BufferMode::always;
  p.ordered = true;
  ASSERT_TRUE(store().policies().save("hook", p).has_value());

  reopen();  // the edge died while delivering `a`
  EXPECT_EQ(store().policies().all().value().at(0).second, p);
  EXPECT_EQ(ok(q().tunnels_with_queued()), std::vector<std::string>{"hook"});
  auto again = ok(q().get(a));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->state, DeliveryState::queued);  // due again now, not at its lease's end
  EXPECT_LE(again->next_attempt_at_ms, kT0 + 600'000);
  EXPECT_EQ(again->attempts, 1);
  EXPECT_EQ(again->body, std::string(10, 'b'));
  EXPECT_EQ(again->headers.get("x-a"), std::optional<std::string_view>("1"));
  EXPECT_TRUE(ok(q().append(request("hook", 10, "evt_1"), policy())).duplicate);
  auto leased = ok(q().lease("hook", 10, kT0 + 600'000, 1000));
  ASSERT_EQ(leased.size(), 2u);
  EXPECT_EQ(leased[0].id, a);
  EXPECT_EQ(leased[1].id, b);

  // Ids are never reused, not even after everything was removed.
  ok(q().ack(a, 200, kT0));
  ok(q().ack(b, 200, kT0));
  ok(q().purge("hook", std::nullopt));
  reopen();
  const auto c = ok(q().append(request("hook"), policy())).id;
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
}

TEST_P(SqliteQueueTest, AnOperatorCommandLeavesTheEdgesLeasesAlone) {
  const auto a = ok(q().append(request("hook"), policy())).id;
  ASSERT_EQ(ok(q().lease("hook", 1, kT0, 600'000)).size(), 1u);
  auto cli = open_sqlite_store(dir_, OpenMode::existing);
  std::optional<Delivery> seen;
  asio::co_spawn(
      io_, [&]() -> asio::awaitable<void> { seen = (co_await cli->deliveries().get(a)).value(); },
      asio::detached);
  io_.restart();
  io_.run();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->state, DeliveryState::delivering);
}

TEST_P(SqliteQueueTest, AVersion1DatabaseIsMigrated) {
  store_.reset();
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / kEdgeDatabaseFile).c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                         "INSERT INTO schema_version VALUES (1);"
                         "CREATE TABLE tunnel_names (name TEXT PRIMARY KEY, owner TEXT NOT NULL,"
                         " claimed_at INTEGER NOT NULL) WITHOUT ROWID;"
                         "INSERT INTO tunnel_names VALUES ('hook', 'aaa', 1);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  reopen();
  EXPECT_EQ(store().names().owner("hook").value(), std::optional<std::string>("aaa"));
  EXPECT_FALSE(ok(q().append(request("hook"), policy())).id.empty());
  reopen();  // and opens as version 2 from now on
  EXPECT_EQ(ok(q().stats()).at(0).queued, 1u);
}

TEST_P(SqliteQueueTest, TheSizeLimitRefusesAppendsAsFullUntilSpaceIsFreed) {
  store_.reset();
  store_ = open_sqlite_store(dir_, OpenMode::create, 512 * 1024);
  std::vector<std::string> ids;
  core::Result<AppendOutcome> last = AppendOutcome{};
  for (int i = 0; i < 1000 && last.has_value(); ++i) {  // 1000 x 4 KiB would need 4 MiB
    last = sync(q().append(request("hook", 4096), policy()));
    if (last.has_value()) ids.push_back(last->id);
  }
  ASSERT_TRUE(last.has_error()) << "1000 appends of 4 KiB fit in 512 KiB";
  EXPECT_EQ(last.error(), make_error_code(Errc::full));
  EXPECT_GT(ids.size(), 20u);
  EXPECT_EQ(sync(q().append(request("other", 4096), policy())).error(),
            make_error_code(Errc::full));
  // Reads and acks still work; delivered rows give their bodies' pages back.
  auto leased = ok(q().lease("hook", 50, kT0, 1000));
  ASSERT_FALSE(leased.empty());
  for (const auto& d : leased) ok(q().ack(d.id, 200, kT0));
  EXPECT_FALSE(ok(q().append(request("other", 4096), policy())).id.empty());
}

TEST_P(SqliteQueueTest, ConcurrentAppendsAreAllDurable) {
  constexpr int kWriters = 64;
  constexpr int kEach = 20;
  std::vector<std::string> ids;
  int failures = 0;
  for (int w = 0; w < kWriters; ++w) {
    asio::co_spawn(
        io_,
        [&, w]() -> asio::awaitable<void> {
          for (int i = 0; i < kEach; ++i) {
            auto r = co_await q().append(request("t" + std::to_string(w % 4)), policy());
            if (r) {
              ids.push_back(r->id);
            } else {
              ++failures;
            }
          }
        },
        asio::detached);
  }
  io_.restart();
  io_.run();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(),
            static_cast<std::size_t>(kWriters * kEach));
  reopen();
  std::uint64_t queued = 0;
  for (const auto& s : ok(q().stats())) queued += s.queued;
  EXPECT_EQ(queued, static_cast<std::uint64_t>(kWriters * kEach));
}

// The WAL is copied back into the database by the store's own checkpoint thread, not at the
// commit of an append (which then waited for megabytes to be copied and fsync'd).
TEST_P(SqliteQueueTest, TheWriteAheadLogIsCheckpointedInTheBackground) {
  const auto database = dir_ / kEdgeDatabaseFile;
  ASSERT_TRUE(std::filesystem::exists(database));
  const auto before = std::filesystem::file_size(database);
  const std::string body(16 * 1024, 'x');
  // 24 MiB of appends: past the 16 MiB at which the checkpointer starts.
  for (int i = 0; i < 1536; ++i) ok(q().append(request("t", body.size()), policy()));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::filesystem::file_size(database) < before + 8 * 1024 * 1024 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(std::filesystem::file_size(database), before + 8 * 1024 * 1024)
      << "the appends never reached the database file: nothing checkpointed the WAL";
  reopen();
  std::uint64_t queued = 0;
  for (const auto& s : ok(q().stats())) queued += s.queued;
  EXPECT_EQ(queued, 1536u);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteQueueTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace relay::store
