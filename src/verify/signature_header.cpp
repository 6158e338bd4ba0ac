#include "relay/verify/signature_header.hpp"

namespace relay::verify {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> split_list(std::string_view value, char separator) {
  std::vector<std::string_view> out;
  while (!value.empty()) {
    const auto pos = value.find(separator);
    const auto item = trim(value.substr(0, pos));
    if (!item.empty()) out.push_back(item);
    if (pos == std::string_view::npos) break;
    value.remove_prefix(pos + 1);
  }
  return out;
}

std::vector<KeyValue> parse_key_value_list(std::string_view value, char separator) {
  std::vector<KeyValue> out;
  for (const auto item : split_list(value, separator)) {
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace_back(trim(item.substr(0, eq)), trim(item.substr(eq + 1)));
  }
  return out;
}

std::vector<KeyValue> parse_svix_list(std::string_view value) {
  std::vector<KeyValue> out;
  for (const auto item : split_list(value, ' ')) {
    const auto comma = item.find(',');
    if (comma == std::string_view::npos) continue;
    out.emplace_back(item.substr(0, comma), item.substr(comma + 1));
  }
  return out;
}

}  // namespace relay::verify
