// Retry-After values from an app's answer to a delivery (edge/retry_policy.hpp): any bytes must
// give a delay within a day or nothing, and last_error text must stay printable UTF-8.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "edge/retry_policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto delay = relay::edge::parse_retry_after(input, 1'765'000'000'000)) {
    if (delay->count() < 0 || delay->count() > 86'400'000) __builtin_trap();
  }
  const auto text = relay::edge::printable_prefix(input, 300);
  if (text.size() > 300) __builtin_trap();
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20) __builtin_trap();
  }
  return 0;
}
