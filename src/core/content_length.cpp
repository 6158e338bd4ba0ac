#include "relay/core/content_length.hpp"

#include <charconv>
#include <system_error>

namespace relay::core {

std::optional<std::uint64_t> parse_content_length(std::string_view text) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return n;
}

}  // namespace relay::core
