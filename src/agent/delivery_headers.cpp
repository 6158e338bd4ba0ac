#include "agent/delivery_headers.hpp"

#include <algorithm>
#include <charconv>

#include "relay/net/tunnel_protocol.hpp"

namespace relay::agent {

namespace protocol = net::protocol;

namespace {

// Exactly `n` digits at `pos`; advances `pos`.
std::optional<int> digits(std::string_view text, std::size_t& pos, std::size_t n) {
  if (pos + n > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += n;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<core::Clock::time_point> parse_rfc3339(std::string_view text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  auto year = digits(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return std::nullopt;
  auto month = digits(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return std::nullopt;
  auto day = digits(text, pos, 2);
  if (!day) return std::nullopt;
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) return std::nullopt;
  ++pos;
  auto hour = digits(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return std::nullopt;
  auto minute = digits(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) return std::nullopt;
  auto second = digits(text, pos, 2);
  if (!second) return std::nullopt;
  nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    std::int64_t value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n == 9) return std::nullopt;
      value = value * 10 + (text[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (std::size_t i = n; i < 9; ++i) value *= 10;
    fraction = nanoseconds{value};
  }
  minutes offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool negative = text[pos] == '-';
    ++pos;
    auto oh = digits(text, pos, 2);
    if (!oh || !expect(text, pos, ':')) return std::nullopt;
    auto om = digits(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset = hours{*oh} + minutes{*om};
    if (negative) offset = -offset;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  // 60: a leap second, which the system clock does not count (taken as :59.999...).
  if (*hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  // Nanoseconds since 1970 overflow in 2262: a received-at outside 1970..2200 is not one.
  if (*year < 1970 || *year > 2200) return std::nullopt;
  const year_month_day date{std::chrono::year{*year},
                            std::chrono::month{static_cast<unsigned>(*month)},
                            std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  auto t =
      sys_days{date} + hours{*hour} + minutes{*minute} + seconds{std::min(*second, 59)} - offset;
  return core::Clock::time_point{duration_cast<core::Clock::duration>(t.time_since_epoch()) +
                                 duration_cast<core::Clock::duration>(fraction)};
}

core::Fallible<std::optional<DeliveryInfo>> read_delivery_headers(const core::Headers& headers) {
  auto id = headers.get(protocol::kDeliveryIdHeader);
  if (!id) return std::optional<DeliveryInfo>();  // not a delivery
  if (id->empty()) {
    return core::Failure{.message = "the edge sent an empty relay-delivery-id"};
  }
  DeliveryInfo info;
  info.id = std::string(*id);
  auto received = headers.get(protocol::kReceivedAtHeader);
  if (!received) {
    return core::Failure{.message = "delivery " + info.id + " came without relay-received-at"};
  }
  auto at = parse_rfc3339(*received);
  if (!at) {
    return core::Failure{.message = "delivery " + info.id +
                                    " has a relay-received-at that is not an RFC 3339 time: '" +
                                    std::string(received->substr(0, 64)) + "'"};
  }
  info.received_at = *at;
  if (auto attempt = headers.get(protocol::kDeliveryAttemptHeader)) {
    int value = 0;
    auto [end, ec] = std::from_chars(attempt->data(), attempt->data() + attempt->size(), value);
    if (ec != std::errc{} || end != attempt->data() + attempt->size() || value < 1) {
      return core::Failure{.message = "delivery " + info.id +
                                      " has a relay-delivery-attempt that is not a number from 1"};
    }
    info.attempt = value;
  }
  return info;
}

core::Headers replace_signature_headers(const core::Headers& headers,
                                        const core::Headers& signature) {
  core::Headers out;
  for (const auto& f : headers) {
    bool replaced = false;
    for (const auto& s : signature) {
      if (core::iequals(f.name, s.name)) {
        replaced = true;
        break;
      }
    }
    if (!replaced) out.add(f.name, f.value);
  }
  // Lower-case like the HTTP/2 fields they join.
  for (const auto& s : signature) out.add(core::to_lower(s.name), s.value);
  return out;
}

}  // namespace relay::agent
