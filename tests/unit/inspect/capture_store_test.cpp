#include "relay/inspect/capture_store.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

namespace relay::inspect {
namespace {

namespace fs = std::filesystem;

Capture make_capture(std::string id, std::string tunnel = "web", std::string body = "{}") {
  Capture c;
  c.id = std::move(id);
  c.tunnel = std::move(tunnel);
  c.start = core::Clock::now();
  c.method = "POST";
  c.url = "/hook";
  c.request_headers.add("content-type", "application/json");
  c.request_body.assign(body, 1 << 20);
  c.status = 200;
  c.response_body.assign("ok", 1 << 20);
  return c;
}

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
  CaptureStore store{{.max_count = 100, .max_bytes = 3500}};
  for (int i = 0; i < 10; ++i) store.upsert(make_capture("c" + std::to_string(i), "web", body));
  EXPECT_LE(store.bytes(), 3500u);
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
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.starts_with("ins_"));
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
