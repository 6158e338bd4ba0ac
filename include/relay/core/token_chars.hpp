#pragma once

#include <array>
#include <string_view>

namespace relay::core {

// tchar (RFC 9110 §5.6.2): the characters of an HTTP token, such as a field name or a transfer
// coding. A table: the parsers that ask it do so for every byte of a name.
inline constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  for (const char c : std::string_view("!#$%&'*+-.^_`|~"))
    table[static_cast<unsigned char>(c)] = true;
  return table;
}();

constexpr bool is_tchar(char c) { return kTokenChars[static_cast<unsigned char>(c)]; }

}  // namespace relay::core
