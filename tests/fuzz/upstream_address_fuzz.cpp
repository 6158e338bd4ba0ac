// libFuzzer: the `relay http UPSTREAM` parser. Whatever it accepts must print back to an
// address that parses to the same thing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "relay/agent/upstream_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto address = relay::agent::parse_upstream_address(text);
  if (!address) {
    if (address.error().message.empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  auto again = relay::agent::parse_upstream_address(address->url());
  if (!again || again->host != address->host || again->port != address->port ||
      again->tls != address->tls) {
    __builtin_trap();
  }
  return 0;
}
