#include "relay/core/headers.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

#include "relay/core/content_length.hpp"

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
namespace {
constexpr std::uint64_t kOnes = 0x0101010101010101;

// The high bit of each byte of `word` that is an ASCII upper-case letter, the others clear.
constexpr std::uint64_t upper_case_bytes(std::uint64_t word) {
  const std::uint64_t low7 = word & (kOnes * 0x7f);
  const std::uint64_t up_to_z = kOnes * (0x7f + 'Z' + 1) - low7;   // high bit: low7 <= 'Z'
  const std::uint64_t from_a = low7 + kOnes * (0x7f - ('A' - 1));  // high bit: low7 >= 'A'
  return up_to_z & from_a & ~word & (kOnes * 0x80);
}
static_assert(upper_case_bytes(0x4140'5a5b'617a'c1da) == 0x8000'8000'0000'0000);

// Eight bytes each, equal once their upper-case letters are lowered (0x80 >> 2 is 'a' - 'A').
constexpr bool same_folded(std::uint64_t x, std::uint64_t y) {
  return x == y || (x | upper_case_bytes(x) >> 2) == (y | upper_case_bytes(y) >> 2);
}

std::uint64_t load_word(const char* p, std::size_t n = sizeof(std::uint64_t)) {
  std::uint64_t word = 0;
  std::memcpy(&word, p, n);
  return word;
}
}  // namespace

// Eight bytes at a time: the byte loop cost ~8 instructions a byte, for every mixed-case name
// compared (an app's "Content-Length" in every response's framing check).
bool iequals_folded(std::string_view a, std::string_view b) {
  constexpr std::size_t kWord = sizeof(std::uint64_t);
  const std::size_t n = a.size();  // == b.size(), and not 0: iequals has compared the bytes
  if (n < kWord) return same_folded(load_word(a.data(), n), load_word(b.data(), n));
  for (std::size_t i = 0; i + kWord <= n; i += kWord) {
    if (!same_folded(load_word(a.data() + i), load_word(b.data() + i))) return false;
  }
  // The last (partial) word, read as the final eight bytes: the overlap is compared twice.
  return same_folded(load_word(a.data() + n - kWord), load_word(b.data() + n - kWord));
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
  return parse_content_length(*text);
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& f : *this) {
    if (iequals(f.name, name)) out.push_back(f.value);
  }
  return out;
}

}  // namespace relay::core
