#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace relay::verify {

// Parsers of signature header values. Pure and total: any input yields a (possibly empty) list;
// the views point into `value`. Fuzzed in tests/fuzz/verify_*_fuzz.cpp.

using KeyValue = std::pair<std::string_view, std::string_view>;

// "t=1712,v1=ab,v1=cd" (separator ',' or ';'), whitespace around items trimmed. Items without
// '=' are skipped.
std::vector<KeyValue> parse_key_value_list(std::string_view value, char separator = ',');

// Svix / Standard Webhooks: "v1,<b64> v1,<b64>" → {("v1","<b64>"), ...}.
std::vector<KeyValue> parse_svix_list(std::string_view value);

// "a, b ,c" → {"a","b","c"}; empty items dropped.
std::vector<std::string_view> split_list(std::string_view value, char separator);

std::string_view trim(std::string_view s);

}  // namespace relay::verify
