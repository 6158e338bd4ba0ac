// libFuzzer: the --trusted-proxies / trusted_proxies CIDR parser. Whatever it accepts must
// print back to a block that parses to the same thing and contains its own network address.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "relay/edge/cidr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto block = relay::edge::parse_cidr(text);
  if (!block) {
    if (block.error().message.empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  if (block->prefix > (block->network.is_v4() ? 32U : 128U)) __builtin_trap();
  auto again = relay::edge::parse_cidr(block->to_string());
  if (!again || again->network != block->network || again->prefix != block->prefix) {
    __builtin_trap();
  }
  if (!block->contains(block->network)) __builtin_trap();
  return 0;
}
