#include "edge/delivery_headers.hpp"

#include <fmt/format.h>

#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {

namespace protocol = net::protocol;

namespace {

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// Howard Hinnant's civil_from_days: days since 1970-01-01 → proleptic Gregorian date.
CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool is_delivery_header(std::string_view name) {
  return core::iequals(name, protocol::kDeliveryIdHeader) ||
         core::iequals(name, protocol::kReceivedAtHeader) ||
         core::iequals(name, protocol::kDeliveryAttemptHeader);
}

}  // namespace

core::Headers make_delivery_headers(const core::Headers& stored, const DeliveryStamp& stamp) {
  core::Headers out;
  out.reserve(stored.size() + 3);
  bool request_id_set = false;
  for (const auto& field : stored) {
    if (is_delivery_header(field.name)) continue;
    if (core::iequals(field.name, protocol::kRequestIdHeader)) {
      if (!request_id_set) out.add(field.name, std::string(stamp.request_id));
      request_id_set = true;
      continue;
    }
    out.add(field.name, field.value);
  }
  if (!request_id_set)
    out.add(std::string(protocol::kRequestIdHeader), std::string(stamp.request_id));
  out.add(std::string(protocol::kDeliveryIdHeader), std::string(stamp.delivery_id));
  out.add(std::string(protocol::kReceivedAtHeader), format_rfc3339_ms(stamp.received_at_ms));
  out.add(std::string(protocol::kDeliveryAttemptHeader), std::to_string(stamp.attempt));
  return out;
}

std::string format_rfc3339_ms(std::int64_t unix_ms) {
  std::int64_t days = unix_ms / 86'400'000;
  std::int64_t rest = unix_ms % 86'400'000;
  if (rest < 0) {  // before 1970: floor, not truncation
    rest += 86'400'000;
    --days;
  }
  const auto date = civil_from_days(days);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", date.year, date.month, date.day,
                     rest / 3'600'000, rest / 60'000 % 60, rest / 1000 % 60, rest % 1000);
}

}  // namespace relay::edge
