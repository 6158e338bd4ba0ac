// Stripe-family signature headers ("t=..,v1=..", TikTok, TokPortal, Paddle's ';' lists).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "relay/verify/signature_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  for (const auto& [key, value] : relay::verify::parse_key_value_list(input, ',')) {
    if (key.data() < input.data() || value.data() + value.size() > input.data() + input.size())
      __builtin_trap();
  }
  (void)relay::verify::parse_key_value_list(input, ';');
  return 0;
}
