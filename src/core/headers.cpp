#include "relay/core/headers.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <utility>

namespace relay::core {

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// The first buffer: a typical request head's text fits, so a Headers built field by field
// without reserve() allocates its text once.
constexpr std::size_t kFirstCapacity = 512;
// Offsets and sizes are 32 bits: HTTP/2 limits a header list to far less (H2Options).
constexpr std::size_t kMaxText = std::numeric_limits<std::uint32_t>::max();
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

Headers::Headers(std::initializer_list<Field> fields) {
  std::size_t bytes = 0;
  for (const auto& f : fields) bytes += f.name.size() + f.value.size();
  reserve(fields.size(), bytes);
  for (const auto& f : fields) add(f.name, f.value);
}

Headers::Headers(const Headers& other) : entries_(other.entries_) {
  if (other.text_size_ == 0) return;
  text_ = std::make_unique_for_overwrite<char[]>(other.text_size_);
  std::memcpy(text_.get(), other.text_.get(), other.text_size_);
  text_size_ = text_capacity_ = other.text_size_;
}

Headers& Headers::operator=(const Headers& other) {
  if (this == &other) return *this;
  if (other.text_size_ > text_capacity_) {
    text_ = std::make_unique_for_overwrite<char[]>(other.text_size_);
    text_capacity_ = other.text_size_;
  }
  if (other.text_size_ != 0) std::memcpy(text_.get(), other.text_.get(), other.text_size_);
  text_size_ = other.text_size_;
  entries_ = other.entries_;
  return *this;
}

// By hand for the sizes: a moved-from Headers is empty, not holding sizes of a buffer it lost.
Headers::Headers(Headers&& other) noexcept
    : text_(std::move(other.text_)),
      text_size_(std::exchange(other.text_size_, 0)),
      text_capacity_(std::exchange(other.text_capacity_, 0)),
      entries_(std::move(other.entries_)) {
  other.entries_.clear();
}

Headers& Headers::operator=(Headers&& other) noexcept {
  if (this == &other) return *this;
  text_ = std::move(other.text_);
  text_size_ = std::exchange(other.text_size_, 0);
  text_capacity_ = std::exchange(other.text_capacity_, 0);
  entries_ = std::move(other.entries_);
  other.entries_.clear();
  return *this;
}

void Headers::reserve(std::size_t fields, std::size_t text_bytes) {
  entries_.reserve(fields);
  if (text_bytes > text_capacity_) regrow(text_bytes);
}

std::unique_ptr<char[]> Headers::regrow(std::size_t capacity) {
  if (capacity > kMaxText) throw std::length_error("relay::core::Headers: over 4 GiB of text");
  auto text = std::make_unique_for_overwrite<char[]>(capacity);
  if (text_size_ != 0) std::memcpy(text.get(), text_.get(), text_size_);
  text_capacity_ = static_cast<std::uint32_t>(capacity);
  return std::exchange(text_, std::move(text));
}

void Headers::add_growing(std::string_view name, std::string_view value) {
  const std::size_t needed = std::size_t{text_size_} + name.size() + value.size();
  const std::size_t doubled = std::min(2 * std::size_t{text_capacity_}, kMaxText);
  // `name` or `value` may be views of the old buffer: it is freed once both are copied.
  const auto old = regrow(std::max({needed, doubled, kFirstCapacity}));
  append_entry(name, value);
}

void Headers::set(std::string_view name, std::string_view value) {
  erase(name);  // leaves the text in place: `value` may be a view of it
  add(name, value);
}

std::size_t Headers::erase(std::string_view name) {
  return std::erase_if(entries_, [&](const Entry& e) { return iequals(name_of(e), name); });
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& f : *this) {
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
  for (const auto& f : *this) {
    if (iequals(f.name, name)) out.push_back(f.value);
  }
  return out;
}

}  // namespace relay::core
