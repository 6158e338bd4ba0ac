#pragma once

// Helpers shared by the verifiers (relay::verify::detail), private to the module.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "relay/core/clock.hpp"
#include "relay/core/headers.hpp"
#include "relay/verify/hmac_spec.hpp"
#include "relay/verify/verdict.hpp"

namespace relay::verify::detail {

Verdict reject(VerdictCode code, std::string_view provider, std::string reason);
Verdict accept(std::string_view provider, std::optional<std::string> event_id = std::nullopt);

// Decoded value of the first `name` parameter in the URL's query string.
std::optional<std::string> query_param(std::string_view url, std::string_view name);
// application/x-www-form-urlencoded body → decoded (name, value) pairs in order.
std::vector<std::pair<std::string, std::string>> form_params(std::string_view body);

// Unix seconds from a timestamp as sent; nullopt when it does not parse.
std::optional<std::int64_t> parse_timestamp(std::string_view text, TimestampFormat format);
std::string format_timestamp(core::Clock::time_point now, TimestampFormat format);
// A rejection when `unix_seconds` lies outside [now - tolerance, now + tolerance].
std::optional<Verdict> check_timestamp(std::int64_t unix_seconds, core::Clock::time_point now,
                                       std::chrono::seconds tolerance, std::string_view provider);

// The value of a header, with every field of that name joined by ',' (RFC 9110 list rule).
std::optional<std::string> joined_header(const core::Headers& headers, std::string_view name);

std::string encode(Encoding encoding, std::string_view bytes);

// A fresh id for `relay webhook sign` ("msg_" + 24 random hex digits).
std::string random_id(std::string_view prefix);

}  // namespace relay::verify::detail
