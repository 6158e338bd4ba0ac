#include "relay/core/token_list.hpp"

#include <algorithm>

#include "relay/core/headers.hpp"

namespace relay::core {

namespace {

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool list_has_token(std::string_view list, std::string_view token) {
  for (;;) {
    const auto comma = list.find(',');
    const auto item = trim_blanks(list.substr(0, comma));
    if (!item.empty() && iequals(item, token)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

bool lists_have_token(const std::vector<std::string_view>& lists, std::string_view token) {
  return std::any_of(lists.begin(), lists.end(),
                     [&](std::string_view list) { return list_has_token(list, token); });
}

}  // namespace relay::core
