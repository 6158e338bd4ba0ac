#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relay::core {

// An ordered list of header fields, as they came on the wire. Names compare case-insensitively;
// repeated fields are kept (Set-Cookie, several signature headers).
class Headers {
 public:
  struct Field {
    std::string name;
    std::string value;
  };

  Headers() = default;
  Headers(std::initializer_list<Field> fields) : fields_(fields) {}

  void add(std::string name, std::string value) {
    fields_.push_back({std::move(name), std::move(value)});
  }
  // Appends a copy of a field seen elsewhere (a decoder's buffer). Inline, and one move of each
  // string: add() is a call that moves each twice, for every field of every message received
  // (assign() into an empty field was dearer still: std::string::_M_replace).
  void add_copy(std::string_view name, std::string_view value) {
    fields_.push_back(Field{std::string(name), std::string(value)});
  }
  // Replaces every field of that name with one.
  void set(std::string_view name, std::string value);
  // Removes every field of that name; returns how many were removed.
  std::size_t erase(std::string_view name);

  // The first value of that name.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
  [[nodiscard]] std::vector<std::string_view> get_all(std::string_view name) const;
  [[nodiscard]] bool contains(std::string_view name) const { return get(name).has_value(); }
  // The Content-Length value; nullopt when there is none or it is not a plain number.
  [[nodiscard]] std::optional<std::uint64_t> content_length() const;

  [[nodiscard]] auto begin() const { return fields_.begin(); }
  [[nodiscard]] auto end() const { return fields_.end(); }
  [[nodiscard]] std::size_t size() const { return fields_.size(); }
  [[nodiscard]] bool empty() const { return fields_.empty(); }
  void clear() { fields_.clear(); }
  void reserve(std::size_t n) { fields_.reserve(n); }

 private:
  std::vector<Field> fields_;
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
