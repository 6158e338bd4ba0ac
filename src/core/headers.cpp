#include "relay/core/headers.hpp"

#include <algorithm>
#include <charconv>

namespace relay::core {

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

namespace detail {
bool iequals_folded(std::string_view a, std::string_view b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}
}  // namespace detail

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

void Headers::set(std::string_view name, std::string value) {
  erase(name);
  fields_.push_back({std::string(name), std::move(value)});
}

std::size_t Headers::erase(std::string_view name) {
  return std::erase_if(fields_, [&](const Field& f) { return iequals(f.name, name); });
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) return f.value;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> Headers::content_length() const {
  auto text = get("content-length");
  if (!text) return std::nullopt;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return n;
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) out.push_back(f.value);
  }
  return out;
}

}  // namespace relay::core
