#pragma once

#include <string_view>
#include <vector>

namespace relay::core {

// True when the comma-separated list `list` (a Connection value, RFC 9110 §5.6.1) holds `token`,
// compared case-insensitively, spaces and tabs around items ignored: the field names a
// Connection header makes hop-by-hop for its message (§7.6.1).
bool list_has_token(std::string_view list, std::string_view token);

// The same over every value of a repeated field.
bool lists_have_token(const std::vector<std::string_view>& lists, std::string_view token);

}  // namespace relay::core
