#include "relay/core/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <typeinfo>
#include <utility>
#include <vector>

#include <cstdio>
#include <mutex>
#include <stdexcept>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "fd_log_sink.hpp"

namespace relay::core {

namespace {

// log_event() packs fields into the payload: msg US key RS value US key RS value ...
constexpr char kUnitSep = '\x1f';
constexpr char kRecordSep = '\x1e';

// Calls fn(key, value) for each field of a log_event() payload, without allocating.
template <class Fn>
void for_each_field(std::string_view payload, Fn&& fn) {
  auto cut = payload.find(kUnitSep);
  while (cut != std::string_view::npos) {
    payload.remove_prefix(cut + 1);
    cut = payload.find(kUnitSep);
    auto field = payload.substr(0, cut);
    auto eq = field.find(kRecordSep);
    if (eq != std::string_view::npos) fn(field.substr(0, eq), field.substr(eq + 1));
  }
}

struct Parsed {
  std::string_view msg;
  std::string_view payload;
};

Parsed parse_payload(std::string_view payload) {
  if (!payload.empty() && payload.front() == FdLogSink::kBatchMark) payload.remove_prefix(1);
  return {payload.substr(0, payload.find(kUnitSep)), payload};
}

// ngrok's four-letter level names: libraries that parse ngrok's logfmt look for these.
std::string_view short_level(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
      return "trce";
    case spdlog::level::debug:
      return "dbug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "eror";
    case spdlog::level::critical:
      return "crit";
    default:
      return "info";
  }
}

// fmt's buffer::append is out of line and copies in a loop: a log line is ~60 short appends.
template <class Buffer>
void put(Buffer& dest, std::string_view text) {
  if (text.empty()) return;  // may be a null view: memcpy from null is undefined even for 0 bytes
  const auto size = dest.size();
  dest.try_resize(size + text.size());
  std::memcpy(dest.data() + size, text.data(), text.size());
}

// Bytes a logfmt value must not hold bare: controls, space, '"', '=', '\\' and non-ASCII.
constexpr std::array<bool, 256> kNeedsQuotes = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f;
  }
  return table;
}();

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  return std::ranges::any_of(v, [](char c) { return kNeedsQuotes[static_cast<unsigned char>(c)]; });
}

// Bytes a quoted value holds escaped: controls, '"' and '\\'. The rest is copied in runs.
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) table[c] = c < 0x20 || c == '"' || c == '\\';
  return table;
}();

// The most bytes write_logfmt_value() writes for v: each byte escaped as \xNN, and the quotes.
// A line is sized once with this, then written through a plain pointer: fmt's buffer checks
// its capacity on every append, and a log line is ~30 of them.
constexpr std::size_t logfmt_value_bound(std::string_view v) { return 4 * v.size() + 2; }

char* copy_to(char* out, std::string_view text) {
  if (text.empty()) return out;  // may be a null view: memcpy from null is undefined
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

char* write_escaped(char* out, unsigned char c) {
  constexpr std::string_view kHex = "0123456789abcdef";
  *out++ = '\\';
  switch (c) {
    case '"':
    case '\\':
      *out++ = static_cast<char>(c);
      break;
    case '\n':
      *out++ = 'n';
      break;
    case '\r':
      *out++ = 'r';
      break;
    case '\t':
      *out++ = 't';
      break;
    default:
      *out++ = 'x';
      *out++ = kHex[c >> 4];
      *out++ = kHex[c & 0xf];
  }
  return out;
}

// Writes v as a logfmt value at out (room for logfmt_value_bound(v) bytes); returns its end.
char* write_logfmt_value(char* out, std::string_view v) {
  if (!needs_quotes(v)) return copy_to(out, v);
  *out++ = '"';
  while (!v.empty()) {
    const auto* const special =
        std::ranges::find_if(v, [](char c) { return kNeedsEscape[static_cast<unsigned char>(c)]; });
    const auto run = static_cast<std::size_t>(special - v.begin());
    out = copy_to(out, v.substr(0, run));
    if (run == v.size()) break;
    out = write_escaped(out, static_cast<unsigned char>(v[run]));
    v.remove_prefix(run + 1);
  }
  *out++ = '"';
  return out;
}

void append_logfmt_value(spdlog::memory_buf_t& dest, std::string_view v) {
  const auto size = dest.size();
  dest.try_resize(size + logfmt_value_bound(v));
  char* end = write_logfmt_value(dest.data() + size, v);
  dest.try_resize(static_cast<std::size_t>(end - dest.data()));
}

// "2026-01-02T03:04:05.678Z". The part up to the seconds is formatted once per second: most
// lines of a busy second share it.
class IsoTime {
 public:
  void append(spdlog::log_clock::time_point t, spdlog::memory_buf_t& dest) {
    auto since = t.time_since_epoch();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(since).count();
    if (secs != cached_secs_ || cached_.empty()) {
      cached_ = fmt::format("{:%Y-%m-%dT%H:%M:%S}.", fmt::gmtime(spdlog::log_clock::to_time_t(t)));
      cached_secs_ = secs;
    }
    put(dest, cached_);
    auto ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(since).count() % 1000);
    const std::array<char, 4> digits = {static_cast<char>('0' + ms / 100),
                                        static_cast<char>('0' + ms / 10 % 10),
                                        static_cast<char>('0' + ms % 10), 'Z'};
    put(dest, std::string_view(digits.data(), digits.size()));
  }

 private:
  long long cached_secs_ = 0;
  std::string cached_;
};

// Renders one event in the sink's format. An event's fields come either from a log_event()
// call's list (the direct path, EventFormatter::format_event) or packed into a spdlog message
// (format(): lines that went through spdlog's own API); `each_field(fn)` calls fn(key, value)
// for each, so both render through the same code.
class RelayFormatter final : public EventFormatter {
 public:
  RelayFormatter(LogFormat format, bool color) : format_(format), color_(color) {}

  void format(const spdlog::details::log_msg& m, spdlog::memory_buf_t& dest) override {
    auto p = parse_payload(std::string_view(m.payload.data(), m.payload.size()));
    const Event event{
        m.time, m.level, std::string_view(m.logger_name.data(), m.logger_name.size()), p.msg, {}};
    render(
        event, [&](auto&& fn) { for_each_field(p.payload, fn); }, dest);
  }

  void format_event(const Event& event, spdlog::memory_buf_t& dest) override {
    // Each value's text once, numbers written into digits_: logfmt makes two passes over the
    // fields (its bound, then the line), and writing a request's numbers in each pass cost
    // ~450 instructions a line, this ~150.
    texts_.clear();
    if (digits_.size() < event.fields.size()) digits_.resize(event.fields.size());
    auto* digits = digits_.data();
    for (const auto& f : event.fields) {
      // An optional field that is not there (an error's code) is passed empty.
      if (!f.value.empty()) texts_.emplace_back(f.key, f.value.text(*digits++));
    }
    render(
        event,
        [&](auto&& fn) {
          for (const auto& [key, text] : texts_) fn(key, text);
        },
        dest);
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<RelayFormatter>(format_, color_);
  }

 private:
  template <class EachField>
  void render(const Event& e, EachField&& each_field, spdlog::memory_buf_t& dest) {
    switch (format_) {
      case LogFormat::json:
        format_json(e, each_field, dest);
        break;
      case LogFormat::logfmt:
        format_logfmt(e, each_field, dest);
        break;
      case LogFormat::term:
        format_term(e, each_field, dest);
        break;
    }
    dest.push_back('\n');
  }

  template <class EachField>
  void format_logfmt(const Event& e, EachField& each_field, spdlog::memory_buf_t& dest) {
    put(dest, "t=");
    time_.append(e.time, dest);
    constexpr std::string_view kLevel = " lvl=";
    constexpr std::string_view kLogger = " logger=";
    constexpr std::string_view kMsg = " msg=";
    const auto level = short_level(e.level);
    std::size_t bound = kLevel.size() + level.size() + kLogger.size() + e.logger.size() +
                        kMsg.size() + logfmt_value_bound(e.msg);
    each_field([&](std::string_view k, std::string_view v) {
      bound += 2 + k.size() + logfmt_value_bound(v);
    });
    const auto size = dest.size();
    dest.try_resize(size + bound);
    char* out = dest.data() + size;
    out = copy_to(out, kLevel);
    out = copy_to(out, level);
    out = copy_to(out, kLogger);
    out = copy_to(out, e.logger);
    out = copy_to(out, kMsg);
    out = write_logfmt_value(out, e.msg);
    each_field([&](std::string_view k, std::string_view v) {
      *out++ = ' ';
      out = copy_to(out, k);
      *out++ = '=';
      out = write_logfmt_value(out, v);
    });
    dest.try_resize(static_cast<std::size_t>(out - dest.data()));
  }

  template <class EachField>
  void format_json(const Event& e, EachField& each_field, spdlog::memory_buf_t& dest) {
    spdlog::memory_buf_t t;
    time_.append(e.time, t);
    nlohmann::ordered_json j;
    j["t"] = std::string(t.data(), t.size());
    j["lvl"] = short_level(e.level);
    j["logger"] = e.logger;
    j["msg"] = e.msg;
    each_field([&](std::string_view k, std::string_view v) { j[std::string(k)] = v; });
    auto s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    put(dest, s);
  }

  template <class EachField>
  void format_term(const Event& e, EachField& each_field, spdlog::memory_buf_t& dest) const {
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(e.time.time_since_epoch()).count() %
        1000;
    fmt::format_to(std::back_inserter(dest), "{:%H:%M:%S}.{:03d} ",
                   fmt::localtime(spdlog::log_clock::to_time_t(e.time)), static_cast<int>(ms));
    std::string_view color;
    if (color_) {
      switch (e.level) {
        case spdlog::level::warn:
          color = "\x1b[33m";
          break;
        case spdlog::level::err:
        case spdlog::level::critical:
          color = "\x1b[31m";
          break;
        case spdlog::level::debug:
        case spdlog::level::trace:
          color = "\x1b[90m";
          break;
        default:
          color = "\x1b[32m";
          break;
      }
    }
    put(dest, color);
    for (char c : short_level(e.level)) dest.push_back(static_cast<char>(c - 'a' + 'A'));
    if (color_) put(dest, "\x1b[0m");
    fmt::format_to(std::back_inserter(dest), " {:<13} {}", e.logger, e.msg);
    each_field([&](std::string_view k, std::string_view v) {
      dest.push_back(' ');
      if (color_) put(dest, "\x1b[36m");
      put(dest, k);
      if (color_) put(dest, "\x1b[0m");
      dest.push_back('=');
      append_logfmt_value(dest, v);
    });
  }

  LogFormat format_;
  bool color_;
  // Formatters are called under their sink's lock: these are reused from line to line.
  IsoTime time_;
  std::vector<std::pair<std::string_view, std::string_view>> texts_;
  std::vector<LogValue::Digits> digits_;
};

struct LogState {
  std::mutex mutex;
  spdlog::sink_ptr sink;
  spdlog::level::level_enum level = spdlog::level::info;
};

LogState& state() {
  static LogState s;
  return s;
}

spdlog::sink_ptr default_sink() {
  auto sink = std::make_shared<FdLogSink>(STDERR_FILENO, false);
  sink->set_formatter(std::make_unique<RelayFormatter>(
      sink->is_terminal() ? LogFormat::term : LogFormat::logfmt, sink->is_terminal()));
  return sink;
}

std::shared_ptr<FdLogSink> open_file_sink(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::runtime_error("cannot open log file '" + path + "': " + std::strerror(errno) +
                             "; pass --log stdout|stderr|false or a writable path");
  }
  return std::make_shared<FdLogSink>(fd, true);
}

}  // namespace

void configure_logging(const LogOptions& options) {
  spdlog::sink_ptr sink;
  bool tty = false;
  if (options.target == "false" || options.target == "none") {
    sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  } else {
    std::shared_ptr<FdLogSink> fd_sink;
    if (options.target == "stdout") {
      fd_sink = std::make_shared<FdLogSink>(STDOUT_FILENO, false);
    } else if (options.target == "stderr") {
      fd_sink = std::make_shared<FdLogSink>(STDERR_FILENO, false);
    } else {
      fd_sink = open_file_sink(options.target);
    }
    tty = fd_sink->is_terminal();
    sink = fd_sink;
  }
  auto format = options.format.value_or(tty ? LogFormat::term : LogFormat::logfmt);
  sink->set_formatter(std::make_unique<RelayFormatter>(format, tty && format == LogFormat::term));

  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.sink = sink;
  s.level = options.level;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->sinks().assign({sink});
    l->set_level(options.level);
  });
}

std::shared_ptr<spdlog::logger> logger(std::string_view name) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  auto key = std::string(name);
  if (auto existing = spdlog::get(key)) return existing;
  if (!s.sink) s.sink = default_sink();
  auto l = std::make_shared<spdlog::logger>(key, s.sink);
  l->set_level(s.level);
  // No flush_on: FdLogSink batches lines itself and bounds how long one waits (kFlushInterval).
  spdlog::register_logger(l);
  return l;
}

namespace {

void log_packed(spdlog::logger& log, spdlog::level::level_enum level, std::string_view msg,
                std::initializer_list<LogField> fields, bool batched) {
  if (!log.should_log(level)) return;
  // The direct path: our own sink renders the fields as they are. Through spdlog they would be
  // packed into one string, then parsed back out by the formatter: twice the work per line.
  const auto& sinks = log.sinks();
  if (sinks.size() == 1) {
    // FdLogSink is final: comparing the type is exact, and cheaper than dynamic_cast's search.
    auto* base = sinks.front().get();
    auto* sink = base != nullptr && typeid(*base) == typeid(FdLogSink)
                     ? static_cast<FdLogSink*>(base)
                     : nullptr;
    const EventFormatter::Event event{spdlog::log_clock::now(), level, log.name(), msg, fields};
    if (sink != nullptr && sink->should_log(level) && sink->write_event(event, batched)) return;
  }
  fmt::memory_buffer buf;
  if (batched) buf.push_back(FdLogSink::kBatchMark);
  put(buf, msg);
  for (const auto& f : fields) {
    if (f.value.empty()) continue;  // an optional field that is not there (an error's code)
    buf.push_back(kUnitSep);
    put(buf, f.key);
    buf.push_back(kRecordSep);
    LogValue::Digits digits;
    put(buf, f.value.text(digits));
  }
  log.log(level, std::string_view(buf.data(), buf.size()));
}

}  // namespace

LogValue LogValue::milliseconds(std::chrono::nanoseconds elapsed, int decimals) {
  decimals = std::clamp(decimals, 0, 6);
  std::int64_t unit = 1'000'000;  // nanoseconds in the last decimal place
  for (int i = 0; i < decimals; ++i) unit /= 10;
  LogValue value;
  value.kind_ = Kind::fixed_point;
  value.decimals_ = static_cast<unsigned char>(decimals);
  value.unsigned_ =
      static_cast<std::uint64_t>((std::max<std::int64_t>(elapsed.count(), 0) + unit / 2) / unit);
  return value;
}

namespace {

// Writes n's digits ending at `end`, with a '.' before the last `decimals` of them (at least
// one digit before the '.'); returns where they start. Backwards, one digit per step: for a
// request's short numbers (a status, a duration) std::to_chars, then the decimals after a
// division by their scale, cost ~90 instructions a number, this ~65.
char* write_digits_back(char* end, std::uint64_t n, int decimals) {
  for (int i = 0; i < decimals; ++i) {
    *--end = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  if (decimals > 0) *--end = '.';
  do {
    *--end = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  return end;
}

}  // namespace

std::string_view LogValue::number_text(Digits& digits) const {
  char* const end = digits.data() + digits.size();
  switch (kind_) {
    case Kind::text:
      return text_;
    case Kind::signed_number: {
      // The magnitude as unsigned: -INT64_MIN does not fit in an int64_t.
      const auto magnitude = signed_ < 0 ? ~static_cast<std::uint64_t>(signed_) + 1
                                         : static_cast<std::uint64_t>(signed_);
      char* first = write_digits_back(end, magnitude, 0);
      if (signed_ < 0) *--first = '-';
      return {first, end};
    }
    case Kind::unsigned_number:
      return {write_digits_back(end, unsigned_, 0), end};
    case Kind::fixed_point:
      break;
  }
  return {write_digits_back(end, unsigned_, decimals_), end};
}

void log_event(spdlog::logger& log, spdlog::level::level_enum level, std::string_view msg,
               std::initializer_list<LogField> fields) {
  log_packed(log, level, msg, fields, false);
}

void log_request_event(spdlog::logger& log, spdlog::level::level_enum level, std::string_view msg,
                       std::initializer_list<LogField> fields) {
  log_packed(log, level, msg, fields, true);
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text) {
  if (text == "trace") return spdlog::level::trace;
  if (text == "debug") return spdlog::level::debug;
  if (text == "info") return spdlog::level::info;
  if (text == "warn" || text == "warning") return spdlog::level::warn;
  if (text == "error") return spdlog::level::err;
  if (text == "crit" || text == "critical") return spdlog::level::critical;
  if (text == "off") return spdlog::level::off;
  return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
  if (text == "term") return LogFormat::term;
  if (text == "logfmt") return LogFormat::logfmt;
  if (text == "json") return LogFormat::json;
  return std::nullopt;
}

}  // namespace relay::core
