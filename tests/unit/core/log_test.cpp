#include "relay/core/log.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

namespace relay::core {
namespace {

namespace fs = std::filesystem;

// Lines as a log file gets them. Each test configures its own file: logging is process-wide.
class LogTest : public ::testing::Test {
 protected:
  LogTest()
      : path_(fs::temp_directory_path() /
              ("relay-log-test-" + std::to_string(std::random_device{}()) + ".log")) {}
  ~LogTest() override {
    configure_logging({.target = "false"});
    fs::remove(path_);
  }

  std::shared_ptr<spdlog::logger> open(LogFormat format) {
    configure_logging({.target = path_.string(), .format = format});
    return logger("relay.test");
  }

  // The lines written so far, each without its time (which is the only part that varies).
  std::vector<std::string> lines(spdlog::logger& log, std::string_view time_end) const {
    log.flush();
    std::ifstream in(path_);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
      auto cut = line.find(time_end);
      out.push_back(cut == std::string::npos ? line : line.substr(cut + time_end.size()));
    }
    return out;
  }

  fs::path path_;
};

TEST_F(LogTest, LogfmtRendersFieldsQuotedWhereNeededAndSkipsEmptyOnes) {
  auto log = open(LogFormat::logfmt);
  log_event(*log, spdlog::level::info, "tunnel started",
            {{"url", "https://a.relay.test"}, {"note", "two words"}, {"code", ""}});
  log_request_event(*log, spdlog::level::warn, "request",
                    {{"path", "/x=\"1\""}, {"status", "200"}});
  log->info("plain spdlog line");
  EXPECT_EQ(
      lines(*log, "Z "),
      (std::vector<std::string>{
          R"(lvl=info logger=relay.test msg="tunnel started" url=https://a.relay.test note="two words")",
          R"(lvl=warn logger=relay.test msg=request path="/x=\"1\"" status=200)",
          R"(lvl=info logger=relay.test msg="plain spdlog line")"}));
}

TEST_F(LogTest, ControlCharactersAreEscapedNeverWrittenRaw) {
  auto log = open(LogFormat::logfmt);
  log_event(*log, spdlog::level::info, "m", {{"v", std::string("a\nb\x01") + "\t\\"}});
  EXPECT_EQ(lines(*log, "Z "),
            (std::vector<std::string>{R"(lvl=info logger=relay.test msg=m v="a\nb\x01\t\\")"}));
}

// Values are copied in runs between the bytes that need escaping: runs at either end, escapes
// side by side, bytes that are quoted but not escaped (space, '=', DEL, UTF-8) kept as they are.
TEST_F(LogTest, EscapesAtEitherEndAndSideBySide) {
  auto log = open(LogFormat::logfmt);
  log_event(*log, spdlog::level::info, "\"quoted\"",
            {{"a", "\"\\\x1f\x7f"},
             {"b", "x=y \xc3\xa9"},
             {"c", std::string("\0z", 2)},
             {"d", "plain"},
             {"e", "\r\n"}});
  EXPECT_EQ(lines(*log, "Z "),
            (std::vector<std::string>{
                "lvl=info logger=relay.test msg=\"\\\"quoted\\\"\" a=\"\\\"\\\\\\x1f\x7f\" "
                "b=\"x=y \xc3\xa9\" c=\"\\x00z\" d=plain e=\"\\r\\n\""}));
}

// A long line (many escapes) outgrows the formatter's inline buffer without losing bytes.
TEST_F(LogTest, LongEscapedValueIsWrittenWhole) {
  auto log = open(LogFormat::logfmt);
  const std::string value(300, '\x01');
  log_event(*log, spdlog::level::info, "m", {{"v", value}});
  std::string expected = "lvl=info logger=relay.test msg=m v=\"";
  for (int i = 0; i < 300; ++i) expected += "\\x01";
  expected += '"';
  EXPECT_EQ(lines(*log, "Z "), (std::vector<std::string>{expected}));
}

// Terminal lines escape values the same way.
TEST_F(LogTest, TermEscapesValuesLikeLogfmt) {
  auto log = open(LogFormat::term);
  log_event(*log, spdlog::level::info, "m", {{"k", "a\tb\"c"}});
  EXPECT_EQ(lines(*log, " "), (std::vector<std::string>{"INFO relay.test    m k=\"a\\tb\\\"c\""}));
}

// Which bytes make a value quoted, each at every place of a short and a long value (the scan
// reads eight bytes at a time, and the tail of a long value overlapping its last word).
TEST_F(LogTest, ExactlyTheMarkedBytesMakeAValueQuoted) {
  auto log = open(LogFormat::logfmt);
  std::vector<std::string> expected;
  for (int c = 1; c < 256; ++c) {
    const bool quoted = c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f;
    for (std::size_t length : {1U, 5U, 8U, 13U}) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string value(length, 'x');
        value[at] = static_cast<char>(c);
        log_event(*log, spdlog::level::info, "m", {{"v", value}});
        expected.push_back(quoted ? "q" : "bare");
      }
    }
  }
  std::vector<std::string> got;
  for (const auto& line : lines(*log, "msg=m v="))
    got.push_back(line.starts_with('"') ? "q" : "bare");
  EXPECT_EQ(got, expected);
}

TEST_F(LogTest, JsonKeepsFieldOrder) {
  auto log = open(LogFormat::json);
  log_request_event(*log, spdlog::level::err, "failed", {{"b", "2"}, {"a", "x\"y"}});
  EXPECT_EQ(lines(*log, "Z\","),
            (std::vector<std::string>{
                R"("lvl":"eror","logger":"relay.test","msg":"failed","b":"2","a":"x\"y"})"}));
}

TEST_F(LogTest, TermShowsTheLevelInCapitals) {
  auto log = open(LogFormat::term);
  log_event(*log, spdlog::level::debug, "m", {{"k", "v"}});
  log->set_level(spdlog::level::debug);
  log_event(*log, spdlog::level::debug, "m", {{"k", "v"}});
  EXPECT_EQ(lines(*log, " "), (std::vector<std::string>{"DBUG relay.test    m k=v"}));
}

// The direct path (one sink of ours) and spdlog's path (any other sink set) render the same.
TEST_F(LogTest, DirectAndSpdlogPathsRenderAlike) {
  auto log = open(LogFormat::logfmt);
  log_event(*log, spdlog::level::info, "same", {{"k", "v w"}, {"empty", ""}, {"n", "1"}});
  log->sinks().push_back(std::make_shared<spdlog::sinks::null_sink_mt>());
  log_event(*log, spdlog::level::info, "same", {{"k", "v w"}, {"empty", ""}, {"n", "1"}});
  log->sinks().pop_back();
  auto got = lines(*log, "Z ");
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0], got[1]);
  EXPECT_EQ(got[0], R"(lvl=info logger=relay.test msg=same k="v w" n=1)");
}

TEST_F(LogTest, LevelBelowTheLoggersIsNotWritten) {
  auto log = open(LogFormat::logfmt);
  log->set_level(spdlog::level::warn);
  log_request_event(*log, spdlog::level::info, "quiet");
  log_request_event(*log, spdlog::level::warn, "loud");
  log->set_level(spdlog::level::info);
  EXPECT_EQ(lines(*log, "Z "), (std::vector<std::string>{"lvl=warn logger=relay.test msg=loud"}));
}

}  // namespace
}  // namespace relay::core
