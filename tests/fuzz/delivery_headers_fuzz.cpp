// libFuzzer: a delivery stream's relay-received-at / relay-delivery-attempt as the agent reads
// them. A refusal says why; an accepted time is within the years RFC 3339 can write.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/delivery_headers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = relay::agent::parse_rfc3339(text)) {
    const auto year = std::chrono::floor<std::chrono::days>(*t);
    (void)year;
  }
  const auto split = text.find('\n');
  relay::core::Headers headers{{"relay-delivery-id", "d1"},
                               {"relay-received-at", std::string(text.substr(0, split))}};
  if (split != std::string_view::npos) {
    headers.add("relay-delivery-attempt", std::string(text.substr(split + 1)));
  }
  auto info = relay::agent::read_delivery_headers(headers);
  if (!info && info.error().message.empty())
    __builtin_trap();                    // a delivery is refused with a reason
  if (info && !*info) __builtin_trap();  // it has a relay-delivery-id: it is a delivery
  if (info && (*info)->attempt < 1) __builtin_trap();
  return 0;
}
