#include "verify_detail.hpp"

#include <openssl/rand.h>

#include <charconv>
#include <ctime>

#include "relay/verify/crypto.hpp"

namespace relay::verify::detail {

Verdict reject(VerdictCode code, std::string_view provider, std::string reason) {
  return Verdict{code, std::string{provider}, std::move(reason), std::nullopt};
}

Verdict accept(std::string_view provider, std::optional<std::string> event_id) {
  return Verdict{VerdictCode::valid, std::string{provider}, "valid", std::move(event_id)};
}

std::optional<std::string> query_param(std::string_view url, std::string_view name) {
  const auto q = url.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  auto query = url.substr(q + 1);
  if (const auto hash = query.find('#'); hash != std::string_view::npos) {
    query = query.substr(0, hash);
  }
  for (auto& [key, value] : form_params(query)) {
    if (key == name) return std::move(value);
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> form_params(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const auto item = body.substr(0, amp);
    if (!item.empty()) {
      const auto eq = item.find('=');
      out.emplace_back(form_decode(item.substr(0, eq)), eq == std::string_view::npos
                                                            ? std::string{}
                                                            : form_decode(item.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return out;
}

namespace {

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || text.empty()) return std::nullopt;
  return value;
}

// "2025-11-24T16:00:00Z", with optional fraction and a Z or ±hh:mm offset.
std::optional<std::int64_t> parse_iso8601(std::string_view s) {
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  const auto num = [&](std::size_t pos, std::size_t len) { return parse_int(s.substr(pos, len)); };
  const auto y = num(0, 4);
  const auto mo = num(5, 2);
  const auto d = num(8, 2);
  const auto h = num(11, 2);
  const auto mi = num(14, 2);
  const auto se = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !se || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 ||
      *mi > 59 || *se > 60) {
    return std::nullopt;
  }
  auto rest = s.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') rest.remove_prefix(1);
  }
  std::int64_t offset = 0;
  if (rest == "Z" || rest == "z" || rest.empty()) {
    offset = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    const auto oh = parse_int(rest.substr(1, 2));
    const auto om = parse_int(rest.substr(4, 2));
    if (!oh || !om) return std::nullopt;
    offset = (*oh * 3600 + *om * 60) * (rest[0] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(*y)},
                                        std::chrono::month{static_cast<unsigned>(*mo)},
                                        std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return days * 86400 + *h * 3600 + *mi * 60 + *se - offset;
}

}  // namespace

std::optional<std::int64_t> parse_timestamp(std::string_view text, TimestampFormat format) {
  switch (format) {
    case TimestampFormat::none:
      return std::nullopt;
    case TimestampFormat::unix_seconds:
      return parse_int(text);
    case TimestampFormat::unix_millis:
      if (const auto ms = parse_int(text)) return *ms / 1000;
      return std::nullopt;
    case TimestampFormat::iso8601:
      return parse_iso8601(text);
  }
  return std::nullopt;
}

std::string format_timestamp(core::Clock::time_point now, TimestampFormat format) {
  const auto secs = core::to_unix_seconds(now);
  switch (format) {
    case TimestampFormat::unix_millis:
      return std::to_string(secs * 1000);
    case TimestampFormat::iso8601: {
      const std::time_t t = secs;
      std::tm tm{};
      gmtime_r(&t, &tm);
      char buf[32];
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
      return buf;
    }
    default:
      return std::to_string(secs);
  }
}

std::optional<Verdict> check_timestamp(std::int64_t unix_seconds, core::Clock::time_point now,
                                       std::chrono::seconds tolerance, std::string_view provider) {
  const auto age = core::to_unix_seconds(now) - unix_seconds;
  const auto tol = tolerance.count();
  if (age > tol) {
    return reject(VerdictCode::stale_timestamp, provider,
                  "stale timestamp: " + std::to_string(age) + " s old, tolerance " +
                      std::to_string(tol) + " s");
  }
  if (-age > tol) {
    return reject(VerdictCode::future_timestamp, provider,
                  "future timestamp: " + std::to_string(-age) + " s ahead, tolerance " +
                      std::to_string(tol) + " s (check the clocks)");
  }
  return std::nullopt;
}

std::optional<std::string> joined_header(const core::Headers& headers, std::string_view name) {
  const auto values = headers.get_all(name);
  if (values.empty()) return std::nullopt;
  std::string out{values.front()};
  for (std::size_t i = 1; i < values.size(); ++i) out.append(",").append(values[i]);
  return out;
}

std::string encode(Encoding encoding, std::string_view bytes) {
  return encoding == Encoding::hex ? hex_encode(bytes) : base64_encode(bytes);
}

std::string random_id(std::string_view prefix) {
  unsigned char raw[12];
  RAND_bytes(raw, sizeof raw);
  return std::string{prefix} + hex_encode({reinterpret_cast<const char*>(raw), sizeof raw});
}

}  // namespace relay::verify::detail
