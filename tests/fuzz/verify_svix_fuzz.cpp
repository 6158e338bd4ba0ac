// Svix / Standard Webhooks signature lists ("v1,<b64> v1,<b64>").
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "relay/verify/signature_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  for (const auto& [version, signature] : relay::verify::parse_svix_list(input)) {
    if (version.find(' ') != std::string_view::npos ||
        signature.find(' ') != std::string_view::npos)
      __builtin_trap();
  }
  return 0;
}
