#include "relay/core/log.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
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

// Numbers are written by the formatter: the same text std::to_string gave, never left out.
TEST_F(LogTest, NumbersRenderAsTheirDecimalText) {
  auto log = open(LogFormat::logfmt);
  log_event(*log, spdlog::level::info, "m",
            {{"zero", 0},
             {"negative", -42},
             {"int_min", std::numeric_limits<std::int64_t>::min()},
             {"int_max", std::numeric_limits<std::int64_t>::max()},
             {"uint_max", std::numeric_limits<std::uint64_t>::max()},
             {"size", std::size_t{200}},
             {"short", static_cast<short>(-7)}});
  EXPECT_EQ(lines(*log, "Z "),
            (std::vector<std::string>{"lvl=info logger=relay.test msg=m zero=0 negative=-42 "
                                      "int_min=-9223372036854775808 int_max=9223372036854775807 "
                                      "uint_max=18446744073709551615 size=200 short=-7"}));
}

// Durations as printf's "%.Nf" of the milliseconds wrote them, from the integer nanoseconds.
TEST_F(LogTest, MillisecondsRoundHalfUpAtTheirLastDecimal) {
  using std::chrono::nanoseconds;
  auto log = open(LogFormat::logfmt);
  log_event(*log, spdlog::level::info, "m",
            {{"a", LogValue::milliseconds(nanoseconds(12'344'999), 2)},
             {"b", LogValue::milliseconds(nanoseconds(12'345'000), 2)},
             {"c", LogValue::milliseconds(nanoseconds(50'000), 1)},
             {"d", LogValue::milliseconds(nanoseconds(49'999), 1)},
             {"e", LogValue::milliseconds(nanoseconds(0), 2)},
             {"f", LogValue::milliseconds(nanoseconds(-5'000'000), 2)},
             {"g", LogValue::milliseconds(nanoseconds(1'000'000), 0)},
             {"h", LogValue::milliseconds(nanoseconds(7'000), 3)},
             {"i", LogValue::milliseconds(std::chrono::hours(1000), 2)},
             {"j", LogValue::milliseconds(nanoseconds(99'995'000), 2)}});
  EXPECT_EQ(lines(*log, "Z "),
            (std::vector<std::string>{"lvl=info logger=relay.test msg=m a=12.34 b=12.35 c=0.1 "
                                      "d=0.0 e=0.00 f=0.00 g=1 h=0.007 i=3600000000.00 "
                                      "j=100.00"}));
}

// Views, numbers and quoted text side by side, in each format and on both paths.
TEST_F(LogTest, MixedValuesRenderAlikeInEveryFormatAndPath) {
  const std::string path = "/hook?a=1 b";
  const std::string_view view = "say \"hi\"";
  auto write = [&](spdlog::logger& log) {
    log_event(log, spdlog::level::info, "m",
              {{"path", path},
               {"status", 503},
               {"view", view},
               {"empty", std::string_view()},
               {"temp", std::string("t") + "mp"},
               {"ms", LogValue::milliseconds(std::chrono::microseconds(1'250), 1)}});
  };
  auto log = open(LogFormat::logfmt);
  write(*log);
  log->sinks().push_back(std::make_shared<spdlog::sinks::null_sink_mt>());
  write(*log);
  log->sinks().pop_back();
  const std::string logfmt =
      R"(lvl=info logger=relay.test msg=m path="/hook?a=1 b" status=503 view="say \"hi\"" temp=tmp ms=1.3)";
  EXPECT_EQ(lines(*log, "Z "), (std::vector<std::string>{logfmt, logfmt}));

  auto json = open(LogFormat::json);  // the same file: its line comes after the two above
  write(*json);
  EXPECT_EQ(
      lines(*json, "Z\",").back(),
      R"("lvl":"info","logger":"relay.test","msg":"m","path":"/hook?a=1 b","status":"503","view":"say \"hi\"","temp":"tmp","ms":"1.3"})");
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
