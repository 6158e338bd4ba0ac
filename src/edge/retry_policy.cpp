#include "edge/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

namespace relay::edge {

namespace {

constexpr std::int64_t kMaxRetryAfterSeconds = 24 * 60 * 60;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<unsigned> digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

// "Sun, 06 Nov 1994 08:49:37 GMT" → Unix seconds. The obsolete RFC 850 and asctime forms are
// not accepted: no server this edge delivers to sends them in Retry-After.
std::optional<std::int64_t> parse_imf_fixdate(std::string_view s) {
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto* const month_it = std::find(kMonths.begin(), kMonths.end(), s.substr(8, 3));
  const auto day = digits(s.substr(5, 2));
  const auto year = digits(s.substr(12, 4));
  const auto hour = digits(s.substr(17, 2));
  const auto minute = digits(s.substr(20, 2));
  const auto second = digits(s.substr(23, 2));
  if (month_it == kMonths.end() || !day || !year || !hour || !minute || !second || *day < 1 ||
      *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const auto month = static_cast<unsigned>(month_it - kMonths.begin()) + 1;
  return days_from_civil(*year, month, *day) * 86400 + *hour * 3600 + *minute * 60 + *second;
}

// The length of the UTF-8 sequence at the start of `s` when it is valid, else 0.
std::size_t utf8_sequence(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t length = 0;
  unsigned min_second = 0x80;
  unsigned max_second = 0xBF;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) min_second = 0xA0;  // overlong
    if (b0 == 0xED) max_second = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) min_second = 0x90;  // overlong
    if (b0 == 0xF4) max_second = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    const unsigned lo = i == 1 ? min_second : 0x80;
    const unsigned hi = i == 1 ? max_second : 0xBF;
    if (b < lo || b > hi) return 0;
  }
  return length;
}

}  // namespace

AttemptOutcome classify(int status) {
  if (status >= 200 && status <= 299) return AttemptOutcome::delivered;
  if (status == 0 || status == 408 || status == 429 || (status >= 500 && status <= 599)) {
    return AttemptOutcome::retry;
  }
  return AttemptOutcome::dead;
}

std::chrono::milliseconds backoff_ceiling(int attempt) {
  const int doublings = std::clamp(attempt - 1, 0, 20);  // 2^20 s is far past the cap
  return std::min(kBackoffCap, kBackoffBase * (std::int64_t{1} << doublings));
}

std::chrono::milliseconds full_jitter(int attempt, const RandomSource& random) {
  const auto ceiling = static_cast<std::uint64_t>(backoff_ceiling(attempt).count());
  return std::chrono::milliseconds(static_cast<std::int64_t>(random() % (ceiling + 1)));
}

AttemptDecision decide(const AttemptAnswer& answer, int attempt, std::int64_t now_ms,
                       std::int64_t expires_at_ms, const RandomSource& random) {
  AttemptDecision decision;
  decision.outcome = classify(answer.status);
  if (decision.outcome == AttemptOutcome::delivered) return decision;
  decision.error = describe(answer);
  if (decision.outcome == AttemptOutcome::dead) return decision;
  auto delay = full_jitter(attempt, random);
  // The app said when it can take more: sooner would only earn another 429.
  if (answer.retry_after && *answer.retry_after > delay) delay = *answer.retry_after;
  decision.retry_at_ms = now_ms + delay.count();
  if (decision.retry_at_ms > expires_at_ms) {
    decision.outcome = AttemptOutcome::dead;
    decision.retry_at_ms = 0;
    decision.error =
        "expired: queued longer than the tunnel's buffer_ttl (last attempt: " + decision.error +
        ")";
  }
  return decision;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::int64_t now_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t seconds = 0;
    for (char c : value) {
      seconds = std::min(kMaxRetryAfterSeconds, seconds * 10 + (c - '0'));
    }
    return std::chrono::seconds(seconds);
  }
  auto at = parse_imf_fixdate(value);
  if (!at) return std::nullopt;
  const std::int64_t delay_ms =
      std::clamp<std::int64_t>(*at * 1000 - now_ms, 0, kMaxRetryAfterSeconds * 1000);
  return std::chrono::milliseconds(delay_ms);
}

std::string describe(const AttemptAnswer& answer) {
  if (answer.status == 0) {
    return answer.failure.empty() ? std::string("no answer")
                                  : printable_prefix(answer.failure, 300);
  }
  std::string out = fmt::format("HTTP {}", answer.status);
  if (!answer.error_code.empty()) out += " " + printable_prefix(answer.error_code, 64);
  auto body = printable_prefix(answer.body_prefix, kBodyPrefixBytes);
  if (!body.empty()) out += ": " + body;
  return out;
}

std::string printable_prefix(std::string_view bytes, std::size_t max) {
  std::string out;
  out.reserve(std::min(bytes.size(), max));
  while (!bytes.empty() && out.size() < max) {
    const std::size_t length = utf8_sequence(bytes);
    if (length == 0) {
      // Cut mid-sequence by the prefix (the last bytes) or not UTF-8 at all.
      out.push_back('?');
      bytes.remove_prefix(1);
      continue;
    }
    if (out.size() + length > max) break;
    const auto c = static_cast<unsigned char>(bytes[0]);
    if (length == 1 && (c < 0x20 || c == 0x7F)) {
      out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : '?');
    } else {
      out.append(bytes.substr(0, length));
    }
    bytes.remove_prefix(length);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace relay::edge
