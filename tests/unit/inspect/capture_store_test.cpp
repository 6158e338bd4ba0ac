#include "relay/inspect/capture_store.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "capture_sample.hpp"
#include "inspect/capture_json.hpp"
#include "inspect/capture_record.hpp"

namespace relay::inspect {
namespace {

namespace fs = std::filesystem;

using inspect::testing::make_capture;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("relay-inspect-test-" + std::to_string(std::random_device{}()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(CapturedBody, KeepsTheFirstBytesAndTheWholeSize) {
  CapturedBody body;
  body.append("hello ", 8);
  body.append("world", 8);
  EXPECT_EQ(body.data, "hello wo");
  EXPECT_EQ(body.size, 11u);
  EXPECT_TRUE(body.truncated);

  CapturedBody framed;  // 16 KiB frames into a 64 KiB capture: no room held beyond the limit
  for (int i = 0; i < 6; ++i) framed.append(std::string(16 * 1024 + 100, 'x'), 64 * 1024);
  EXPECT_EQ(framed.data.size(), 64u * 1024);
  EXPECT_EQ(framed.data.capacity(), 64u * 1024);

  body.assign("short", 8);
  EXPECT_EQ(body.data, "short");
  EXPECT_FALSE(body.truncated);
}

TEST(CaptureStore, DropsTheOldestBeyondTheCount) {
  CaptureStore store{{.max_count = 3}};
  for (int i = 0; i < 5; ++i) store.upsert(make_capture("c" + std::to_string(i)));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.find("c0"), nullptr);
  EXPECT_EQ(store.find("c1"), nullptr);
  const auto list = store.list();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]->id, "c4");  // newest first
  EXPECT_EQ(list[2]->id, "c2");
}

TEST(CaptureStore, DropsTheOldestBeyondTheByteCapButKeepsTheNewest) {
  const std::string body(1000, 'x');
  // Room for three and a half captures, whatever one costs (its fields' buffers count too).
  const std::size_t cap = make_capture("c", "web", body).cost() * 7 / 2;
  CaptureStore store{{.max_count = 100, .max_bytes = cap}};
  for (int i = 0; i < 10; ++i) store.upsert(make_capture("c" + std::to_string(i), "web", body));
  EXPECT_LE(store.bytes(), cap);
  EXPECT_GE(store.size(), 2u);
  EXPECT_LT(store.size(), 10u);
  EXPECT_NE(store.find("c9"), nullptr);

  CaptureStore tiny{{.max_count = 100, .max_bytes = 10}};
  tiny.upsert(make_capture("only", "web", body));
  EXPECT_EQ(tiny.size(), 1u);  // one capture over the cap still shows
}

TEST(CaptureStore, TruncatesBodiesBeyondTheBodyCap) {
  CaptureStore store{{.max_body_bytes = 4}};
  const auto c = store.upsert(make_capture("a", "web", "0123456789"));
  EXPECT_EQ(c->request_body.data, "0123");
  EXPECT_EQ(c->request_body.size, 10u);
  EXPECT_TRUE(c->request_body.truncated);
}

TEST(CaptureStore, UpsertReplacesTheCaptureWithTheSameId) {
  CaptureStore store;
  auto c = make_capture("a");
  c.status = 0;
  store.upsert(c);
  c.status = 502;
  store.upsert(c);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.find("a")->status, 502);
}

TEST(CaptureStore, ListsByTunnelWithALimit) {
  CaptureStore store;
  store.upsert(make_capture("a", "one"));
  store.upsert(make_capture("b", "two"));
  store.upsert(make_capture("c", "one"));
  store.upsert(make_capture("d", "one"));
  const auto list = store.list(2, "one");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]->id, "d");
  EXPECT_EQ(list[1]->id, "c");
}

TEST(CaptureStore, MakesUniqueIds) {
  CaptureStore store;
  const auto a = store.make_id();
  const auto b = store.make_id();
  EXPECT_LT(a, b);  // time-ordered
  EXPECT_TRUE(a.starts_with("ins_"));
  ASSERT_EQ(a.size(), 27u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 4), std::string::npos) << a;
  EXPECT_EQ(store.upsert(Capture{})->id.substr(0, 4), "ins_");  // an empty id gets one
}

TEST(CaptureStore, NotifiesSubscribersUntilTheSubscriptionEnds) {
  CaptureStore store;
  std::vector<std::string> seen;
  {
    auto sub = store.subscribe([&](const CaptureEvent& e) {
      seen.push_back(e.kind == CaptureEvent::Kind::cleared ? "clear" : e.capture->id);
    });
    store.upsert(make_capture("a"));
    store.clear();
  }
  store.upsert(make_capture("b"));
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "clear"}));
}

TEST(CaptureStore, HistorySurvivesAReopen) {
  TempDir dir;
  const auto db = dir.path() / "state" / "captures.db";
  {
    CaptureStore store{{.db_path = db}};
    auto c = make_capture("a", "web", R"({"event":"video.publish"})");
    c.request_headers.add("TikTok-Signature", "t=1,s=abc");
    c.verdict = verify::Verdict{.code = verify::VerdictCode::stale_timestamp,
                                .provider = "tiktok",
                                .reason = "stale timestamp: 900 s old, tolerance 300 s",
                                .event_id = "evt_1"};
    c.duration = std::chrono::microseconds{1234};
    c.replay = true;
    c.replay_of = "z";
    store.upsert(c);
    store.upsert(make_capture("b", "other", std::string(10, '\0')));
    store.flush();
  }
  EXPECT_TRUE(fs::exists(db));
  CaptureStore reopened{{.db_path = db}};
  ASSERT_EQ(reopened.size(), 2u);
  const auto a = reopened.find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->request_body.data, R"({"event":"video.publish"})");
  EXPECT_EQ(a->request_headers.get("tiktok-signature"), "t=1,s=abc");
  ASSERT_TRUE(a->verdict.has_value());
  EXPECT_EQ(a->verdict->code, verify::VerdictCode::stale_timestamp);
  EXPECT_EQ(a->verdict->reason, "stale timestamp: 900 s old, tolerance 300 s");
  EXPECT_EQ(a->verdict->event_id, "evt_1");
  EXPECT_EQ(a->duration.count(), 1234);
  EXPECT_TRUE(a->replay);
  EXPECT_EQ(a->replay_of, "z");
  EXPECT_EQ(reopened.find("b")->request_body.data, std::string(10, '\0'));
  EXPECT_EQ(reopened.list()[0]->id, "b");  // order kept
}

TEST(CaptureStore, ReopenAppliesTheCapsAndClearIsPersisted) {
  TempDir dir;
  const auto db = dir.path() / "captures.db";
  {
    CaptureStore store{{.db_path = db, .max_count = 10}};
    for (int i = 0; i < 10; ++i) store.upsert(make_capture("c" + std::to_string(i)));
    store.flush();
  }
  {
    CaptureStore smaller{{.db_path = db, .max_count = 4}};
    EXPECT_EQ(smaller.size(), 4u);
    EXPECT_EQ(smaller.list().back()->id, "c6");
    smaller.upsert(make_capture("c10"));  // drops c6 from memory and disk
    smaller.flush();
  }
  {
    CaptureStore again{{.db_path = db, .max_count = 10}};
    EXPECT_EQ(again.size(), 4u);
    EXPECT_EQ(again.find("c6"), nullptr);
    again.clear();
    again.flush();
  }
  CaptureStore cleared{{.db_path = db}};
  EXPECT_EQ(cleared.size(), 0u);
}

// The ids of the captures in the file by arrival, read with SQLite itself: what a restart finds.
std::vector<std::string> rows_on_disk(const fs::path& db) {
  sqlite3* handle = nullptr;
  EXPECT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::uint64_t keep_from = 0;
  sqlite3_prepare_v2(handle, "SELECT value FROM capture_state WHERE name = 'keep_from'", -1, &stmt,
                     nullptr);
  if (sqlite3_step(stmt) == SQLITE_ROW) keep_from = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  std::map<std::uint64_t, std::string> ids;  // by seq; a later batch replaces an earlier one
  sqlite3_prepare_v2(handle, "SELECT data FROM capture_batches ORDER BY batch", -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const std::string data(static_cast<const char*>(sqlite3_column_blob(stmt, 0)),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
    for (const auto& [seq, capture] : detail::decode_batch(data)) {
      if (seq >= keep_from) ids[seq] = capture.id;
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  std::vector<std::string> out;
  for (const auto& [seq, id] : ids) out.push_back(id);
  return out;
}

TEST(CaptureStore, OnlyFinishedCapturesReachTheDiskInArrivalOrder) {
  TempDir dir;
  const auto db = dir.path() / "captures.db";
  {
    CaptureStore store{{.db_path = db}};
    auto slow = make_capture("slow");
    slow.status = 0;  // in flight
    store.upsert(slow);
    store.upsert(make_capture("fast"));
    auto lost = make_capture("lost");
    lost.status = 0;  // still in flight at shutdown: not history
    store.upsert(lost);
    store.flush();
    EXPECT_EQ(rows_on_disk(db), std::vector<std::string>{"fast"});

    slow.status = 504;  // finishes after "fast" arrived, but arrived first
    store.upsert(slow);
    store.flush();
    EXPECT_EQ(rows_on_disk(db), (std::vector<std::string>{"slow", "fast"}));
  }
  CaptureStore reopened{{.db_path = db}};
  const auto list = reopened.list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]->id, "fast");  // newest first: the arrival order, not the finishing order
  EXPECT_EQ(list[1]->id, "slow");
  EXPECT_EQ(list[1]->status, 504);
  reopened.upsert(make_capture("later"));  // numbering continues above what was loaded
  reopened.flush();
  EXPECT_EQ(rows_on_disk(db), (std::vector<std::string>{"slow", "fast", "later"}));
}

TEST(CaptureStore, AFinishedCaptureWrittenAgainReopensInItsLastState) {
  TempDir dir;
  const auto db = dir.path() / "captures.db";
  {
    CaptureStore store{{.db_path = db}};
    store.upsert(make_capture("a"));
    store.upsert(make_capture("b"));
    store.flush();  // "a" is on disk as 200
    auto again = make_capture("a");
    again.status = 500;
    store.upsert(again);  // written again, in a later batch
    store.flush();
  }
  CaptureStore reopened{{.db_path = db}};
  ASSERT_EQ(reopened.size(), 2u);
  EXPECT_EQ(reopened.find("a")->status, 500);
  EXPECT_EQ(reopened.list()[1]->id, "a");  // still where it arrived
}

TEST(CaptureStore, DestroyingTheStoreWritesWhatIsPending) {
  TempDir dir;
  const auto db = dir.path() / "captures.db";
  {
    CaptureStore store{{.db_path = db}};
    for (int i = 0; i < 50; ++i) store.upsert(make_capture("c" + std::to_string(i)));
  }  // no flush: the destructor must not lose the batch that has not been written yet
  CaptureStore reopened{{.db_path = db}};
  EXPECT_EQ(reopened.size(), 50u);
  EXPECT_EQ(reopened.list()[0]->id, "c49");
}

TEST(CaptureStore, ByteCapDropsReachTheDisk) {
  TempDir dir;
  const auto db = dir.path() / "captures.db";
  const std::string body(1000, 'x');
  {
    CaptureStore store{{.db_path = db, .max_count = 100, .max_bytes = 5000}};
    for (int i = 0; i < 10; ++i) {
      store.upsert(make_capture("c" + std::to_string(i), "web", body));
      if (i % 3 == 0) store.flush();  // some dropped rows were written, some never were
    }
    store.flush();
    const auto kept = store.list();
    ASSERT_LT(kept.size(), 10u);
    std::vector<std::string> ids;
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) ids.push_back((*it)->id);
    EXPECT_EQ(rows_on_disk(db), ids);
  }
}

TEST(CaptureStore, MovesHistoryFromTheFirstFormat) {
  TempDir dir;
  const auto db = dir.path() / "captures.db";
  auto old = make_capture("old", "web", R"({"a":1})");
  old.verdict = verify::Verdict{.code = verify::VerdictCode::signature_mismatch,
                                .provider = "github",
                                .reason = "signature mismatch"};
  {
    // A file as the first relay versions wrote it: JSON documents, a UNIQUE id column.
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(handle,
                           "PRAGMA journal_mode = WAL; CREATE TABLE captures (seq INTEGER PRIMARY "
                           "KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, data TEXT NOT NULL)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    auto in_flight = make_capture("in-flight");  // left by a stop mid-request: not moved
    in_flight.status = 0;
    for (const auto* c : {&old, &in_flight}) {
      const auto text = detail::to_storage_json(*c).dump();
      sqlite3_stmt* stmt = nullptr;
      sqlite3_prepare_v2(handle, "INSERT INTO captures (id, data) VALUES (?, ?)", -1, &stmt,
                         nullptr);
      sqlite3_bind_text(stmt, 1, c->id.data(), static_cast<int>(c->id.size()), SQLITE_TRANSIENT);
      sqlite3_bind_text(stmt, 2, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
      sqlite3_finalize(stmt);
    }
    sqlite3_close(handle);
  }
  {
    CaptureStore store{{.db_path = db}};
    ASSERT_EQ(store.size(), 1u);
    const auto loaded = store.find("old");
    ASSERT_NE(loaded, nullptr);
    EXPECT_EQ(loaded->request_body.data, R"({"a":1})");
    ASSERT_TRUE(loaded->verdict.has_value());
    EXPECT_EQ(loaded->verdict->code, verify::VerdictCode::signature_mismatch);
    store.upsert(make_capture("new"));
    store.flush();
    EXPECT_EQ(rows_on_disk(db), (std::vector<std::string>{"old", "new"}));
  }
  CaptureStore again{{.db_path = db}};  // moved once: opens as the new format
  EXPECT_EQ(again.list().back()->id, "old");
  EXPECT_EQ(again.size(), 2u);
}

TEST(CaptureStore, TwoProcessesOnOneFileKeepEveryCaptureInArrivalOrder) {
  TempDir dir;
  const auto db = dir.path() / "captures.db";
  {
    // Two agents on one state directory: two connections, each with its own writer thread.
    CaptureStore first{{.db_path = db}};
    CaptureStore second{{.db_path = db}};
    for (int i = 0; i < 20; ++i) {
      first.upsert(make_capture("a" + std::to_string(i)));
      second.upsert(make_capture("b" + std::to_string(i)));
      if (i % 5 == 4) {
        first.flush();
        second.flush();
      }
    }
  }
  CaptureStore reopened{{.db_path = db}};
  ASSERT_EQ(reopened.size(), 40u);
  const auto list = reopened.list();  // newest first
  EXPECT_EQ(list.front()->id, "b19");
  EXPECT_EQ(list.back()->id, "a0");
}

TEST(CaptureStore, DatabaseFilesArePrivateWhateverTheUmask) {
  TempDir dir;
  const auto state = dir.path() / "new-state";
  const auto old = ::umask(022);
  {
    CaptureStore store{{.db_path = state / "captures.db"}};
    store.upsert(make_capture("a"));
    store.flush();
    for (const char* name : {"captures.db", "captures.db-wal", "captures.db-shm"}) {
      EXPECT_EQ(fs::status(state / name).permissions(),
                fs::perms::owner_read | fs::perms::owner_write)
          << name;
    }
    EXPECT_EQ(fs::status(state).permissions(), fs::perms::owner_all);
  }
  ::umask(old);
}

TEST(CaptureStore, UnopenableDatabaseSaysWhichFile) {
  TempDir dir;
  const auto blocker = dir.path() / "file";
  { std::ofstream{blocker} << "x"; }
  try {
    CaptureStore store{{.db_path = blocker / "captures.db"}};
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string{e.what()}.find("captures.db"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace relay::inspect
