#include "relay/config/upstream_timeout.hpp"

#include "relay/config/buffer_settings.hpp"

namespace relay::config {

std::optional<std::chrono::seconds> parse_upstream_timeout(std::string_view text) {
  constexpr std::chrono::seconds kShortest{1};
  constexpr std::chrono::seconds kLongest{3600};
  const auto parsed = parse_duration(text);
  if (!parsed || *parsed < kShortest || *parsed > kLongest ||
      *parsed % std::chrono::seconds{1} != std::chrono::milliseconds{0}) {
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(*parsed);
}

}  // namespace relay::config
