#include "relay/core/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

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

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  return std::ranges::any_of(v, [](char c) {
    return c <= ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) >= 0x7f;
  });
}

void append_logfmt_value(spdlog::memory_buf_t& dest, std::string_view v) {
  if (!needs_quotes(v)) {
    dest.append(v.data(), v.data() + v.size());
    return;
  }
  dest.push_back('"');
  for (char c : v) {
    switch (c) {
      case '"':
        dest.append(std::string_view("\\\""));
        break;
      case '\\':
        dest.append(std::string_view("\\\\"));
        break;
      case '\n':
        dest.append(std::string_view("\\n"));
        break;
      case '\r':
        dest.append(std::string_view("\\r"));
        break;
      case '\t':
        dest.append(std::string_view("\\t"));
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(dest), "\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          dest.push_back(c);
        }
    }
  }
  dest.push_back('"');
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
    dest.append(cached_.data(), cached_.data() + cached_.size());
    auto ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(since).count() % 1000);
    char digits[4] = {static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                      static_cast<char>('0' + ms % 10), 'Z'};
    dest.append(digits, digits + 4);
  }

 private:
  long long cached_secs_ = 0;
  std::string cached_;
};

class RelayFormatter final : public spdlog::formatter {
 public:
  RelayFormatter(LogFormat format, bool color) : format_(format), color_(color) {}

  void format(const spdlog::details::log_msg& m, spdlog::memory_buf_t& dest) override {
    auto p = parse_payload(std::string_view(m.payload.data(), m.payload.size()));
    std::string_view name(m.logger_name.data(), m.logger_name.size());
    switch (format_) {
      case LogFormat::json:
        format_json(m, name, p, dest);
        break;
      case LogFormat::logfmt:
        format_logfmt(m, name, p, dest);
        break;
      case LogFormat::term:
        format_term(m, name, p, dest);
        break;
    }
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<RelayFormatter>(format_, color_);
  }

 private:
  void format_logfmt(const spdlog::details::log_msg& m, std::string_view name, const Parsed& p,
                     spdlog::memory_buf_t& dest) {
    auto put = [&](std::string_view text) { dest.append(text.data(), text.data() + text.size()); };
    put("t=");
    time_.append(m.time, dest);
    put(" lvl=");
    put(short_level(m.level));
    put(" logger=");
    put(name);
    put(" msg=");
    append_logfmt_value(dest, p.msg);
    for_each_field(p.payload, [&](std::string_view k, std::string_view v) {
      dest.push_back(' ');
      dest.append(k.data(), k.data() + k.size());
      dest.push_back('=');
      append_logfmt_value(dest, v);
    });
  }

  void format_json(const spdlog::details::log_msg& m, std::string_view name, const Parsed& p,
                   spdlog::memory_buf_t& dest) {
    spdlog::memory_buf_t t;
    time_.append(m.time, t);
    nlohmann::ordered_json j;
    j["t"] = std::string(t.data(), t.size());
    j["lvl"] = short_level(m.level);
    j["logger"] = name;
    j["msg"] = p.msg;
    for_each_field(p.payload,
                   [&](std::string_view k, std::string_view v) { j[std::string(k)] = v; });
    auto s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(s.data(), s.data() + s.size());
  }

  void format_term(const spdlog::details::log_msg& m, std::string_view name, const Parsed& p,
                   spdlog::memory_buf_t& dest) const {
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(m.time.time_since_epoch()).count() %
        1000;
    fmt::format_to(std::back_inserter(dest), "{:%H:%M:%S}.{:03d} ",
                   fmt::localtime(spdlog::log_clock::to_time_t(m.time)), static_cast<int>(ms));
    std::string_view color;
    if (color_) {
      switch (m.level) {
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
    dest.append(color.data(), color.data() + color.size());
    auto lvl = short_level(m.level);
    for (char c : lvl) dest.push_back(static_cast<char>(c - 'a' + 'A'));
    if (color_) dest.append(std::string_view("\x1b[0m"));
    fmt::format_to(std::back_inserter(dest), " {:<13} {}", name, p.msg);
    for_each_field(p.payload, [&](std::string_view k, std::string_view v) {
      dest.push_back(' ');
      if (color_) dest.append(std::string_view("\x1b[36m"));
      dest.append(k.data(), k.data() + k.size());
      if (color_) dest.append(std::string_view("\x1b[0m"));
      dest.push_back('=');
      append_logfmt_value(dest, v);
    });
  }

  LogFormat format_;
  bool color_;
  IsoTime time_;  // formatters are called under their sink's lock
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
  fmt::memory_buffer buf;
  if (batched) buf.push_back(FdLogSink::kBatchMark);
  buf.append(msg.data(), msg.data() + msg.size());
  for (const auto& f : fields) {
    if (f.value.empty()) continue;  // an optional field that is not there (an error's code)
    buf.push_back(kUnitSep);
    buf.append(f.key.data(), f.key.data() + f.key.size());
    buf.push_back(kRecordSep);
    buf.append(f.value.data(), f.value.data() + f.value.size());
  }
  log.log(level, std::string_view(buf.data(), buf.size()));
}

}  // namespace

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
