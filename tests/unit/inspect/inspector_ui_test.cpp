// The web UI in headless Debian chromium (playwright-core, tests/e2e/browser), against a real
// inspector whose tunnel directory and replayer are the in-memory ones of the fixture. The
// end-to-end version through a real tunnel is tests/e2e/test_inspector_browser.py.
#include <cstdio>
#include <filesystem>

#include "inspector_fixture.hpp"

namespace relay::inspect::testing {
namespace {

namespace fs = std::filesystem;

TEST_F(InspectorTest, BrowserSeesRequestsLiveAndReplaysThem) {
  const fs::path browser_dir = fs::path{RELAY_SOURCE_DIR} / "tests/e2e/browser";
  if (!fs::exists("/usr/bin/chromium") ||
      !fs::exists(browser_dir / "node_modules/playwright-core")) {
    GTEST_SKIP() << "needs /usr/bin/chromium (apt-get install chromium) and `npm ci` in "
                 << browser_dir;
  }
  add(sample("first"));
  auto c = sample("tiktok-1", "tiktok");
  c.verdict = verify::Verdict{.code = verify::VerdictCode::stale_timestamp,
                              .provider = "tiktok",
                              .reason = "stale timestamp: 912 s old, tolerance 300 s"};
  c.status = 401;
  c.url = "/webhooks/tiktok";
  c.request_body.assign(R"({"event":"video.publish","marker":"ui-check","create_time":1712000000})",
                        1 << 20);
  add(c);

  const auto out = fs::current_path() / "inspector-screenshots";
  const auto command = "node " + (browser_dir / "inspector_check.mjs").string() +
                       " --inspector http://" + host() + " --out " + out.string() + " 2>&1";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("\"ok\":true"), std::string::npos) << output;
  EXPECT_TRUE(fs::exists(out / "inspector-list.png"));
  EXPECT_TRUE(fs::exists(out / "inspector-detail.png"));
  const auto delivered = on_io([this] { return replayer.delivered; });
  ASSERT_EQ(delivered.size(), 2u);
  EXPECT_NE(delivered[1].body.find("\"edited\":true"), std::string::npos);
}

}  // namespace
}  // namespace relay::inspect::testing
