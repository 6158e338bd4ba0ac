#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relay::core {

// An ordered list of header fields, as they came on the wire. Names compare case-insensitively;
// repeated fields are kept (Set-Cookie, several signature headers).
//
// The text of all fields is kept in one buffer, each field as offsets into it: a std::string
// per name and value had been a malloc and a free for each value over 15 bytes, per field, per
// message, in both processes. Fields are read as views (Field) into that buffer: valid while
// the Headers lives and is not changed. An add() or set() may move the buffer (as a
// std::vector's push_back moves its elements); a move of the whole Headers does not, and
// neither do erase() nor clear().
class Headers {
  // A field: where its name starts in the buffer (the value follows it), and both sizes.
  struct Entry {
    std::uint32_t offset;
    std::uint32_t name_size;
    std::uint32_t value_size;
  };

 public:
  struct Field {
    std::string_view name;
    std::string_view value;
  };

  // Yields each Field by value (a pair of views), in order.
  class const_iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using iterator_category = std::input_iterator_tag;  // a proxy reference, for legacy code
    using value_type = Field;
    using difference_type = std::ptrdiff_t;
    using reference = Field;

    const_iterator() = default;
    Field operator*() const {
      const char* at = text_ + entry_->offset;
      return {{at, entry_->name_size}, {at + entry_->name_size, entry_->value_size}};
    }
    // it->name: a Field kept in a temporary for the expression.
    struct Arrow {
      Field field;
      const Field* operator->() const { return &field; }
    };
    Arrow operator->() const { return {**this}; }
    const_iterator& operator++() {
      ++entry_;
      return *this;
    }
    const_iterator operator++(int) {
      auto before = *this;
      ++entry_;
      return before;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.entry_ == b.entry_;
    }

   private:
    friend class Headers;
    const_iterator(const char* text, const Entry* entry) : text_(text), entry_(entry) {}
    const char* text_ = nullptr;
    const Entry* entry_ = nullptr;
  };
  using iterator = const_iterator;

  Headers() = default;
  Headers(std::initializer_list<Field> fields);
  // A copy holds exactly its text, in one allocation.
  Headers(const Headers& other);
  Headers& operator=(const Headers& other);
  Headers(Headers&& other) noexcept;
  Headers& operator=(Headers&& other) noexcept;
  ~Headers() = default;

  // Appends a field; both strings are copied into the buffer, so they may be views of anything
  // (even of this Headers' own fields).
  void add(std::string_view name, std::string_view value) {
    const std::size_t bytes = name.size() + value.size();
    if (bytes > text_capacity_ - text_size_) {
      add_growing(name, value);
      return;
    }
    append_entry(name, value);
  }
  // Replaces every field of that name with one.
  void set(std::string_view name, std::string_view value);
  // Removes every field of that name; returns how many were removed. Their text stays in the
  // buffer until clear(): views of the other fields stay valid.
  std::size_t erase(std::string_view name);

  // The first value of that name.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
  [[nodiscard]] std::vector<std::string_view> get_all(std::string_view name) const;
  [[nodiscard]] bool contains(std::string_view name) const { return get(name).has_value(); }
  // The Content-Length value; nullopt when there is none or it is not a plain number.
  [[nodiscard]] std::optional<std::uint64_t> content_length() const;

  [[nodiscard]] const_iterator begin() const { return {text_.get(), entries_.data()}; }
  [[nodiscard]] const_iterator end() const {
    return {text_.get(), entries_.data() + entries_.size()};
  }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  // The heap bytes this holds: its text buffer and its field records (with their spare room).
  [[nodiscard]] std::size_t memory_bytes() const {
    return text_capacity_ + entries_.capacity() * sizeof(Entry);
  }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  // Keeps the capacity of both the field list and the text (a reused H2Stream's headers).
  void clear() {
    entries_.clear();
    text_size_ = 0;
  }
  // Room for `fields` fields, and for `text_bytes` bytes of their names and values together.
  void reserve(std::size_t fields, std::size_t text_bytes);
  // Room for `fields` fields of a typical size (kTypicalFieldBytes).
  void reserve(std::size_t fields) { reserve(fields, fields * kTypicalFieldBytes); }

  // Name and value together, of a request's or response's field on average, about: what
  // reserve(n) makes room for.
  static constexpr std::size_t kTypicalFieldBytes = 40;

 private:
  // add() when the buffer must grow first (out of line): copies from `name` and `value` before
  // the old buffer is freed, since they may point into it.
  void add_growing(std::string_view name, std::string_view value);
  // add() with room for both strings in the buffer.
  void append_entry(std::string_view name, std::string_view value) {
    const auto offset = text_size_;
    char* at = text_.get() + offset;
    // An empty view's data() may be null: no memcpy from it.
    if (!name.empty()) std::memcpy(at, name.data(), name.size());
    if (!value.empty()) std::memcpy(at + name.size(), value.data(), value.size());
    text_size_ = static_cast<std::uint32_t>(offset + name.size() + value.size());
    entries_.push_back({offset, static_cast<std::uint32_t>(name.size()),
                        static_cast<std::uint32_t>(value.size())});
  }
  // Moves the text to a new buffer of `capacity` bytes; returns the old buffer.
  std::unique_ptr<char[]> regrow(std::size_t capacity);
  [[nodiscard]] std::string_view name_of(const Entry& e) const {
    return {text_.get() + e.offset, e.name_size};
  }

  std::unique_ptr<char[]> text_;
  std::uint32_t text_size_ = 0;
  std::uint32_t text_capacity_ = 0;
  std::vector<Entry> entries_;
};

namespace detail {
// iequals' case-folding loop, for two names of one size whose bytes differ.
bool iequals_folded(std::string_view a, std::string_view b);
}  // namespace detail

// ASCII case-insensitive equality. Inline up to the folding: most names compared differ in
// size, and most that match are equal byte for byte (HTTP/2 names are lower case), so the
// callers need neither a call nor their own fast path.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a == b) return true;
  return detail::iequals_folded(a, b);
}
std::string to_lower(std::string_view s);

}  // namespace relay::core
