// libFuzzer: how the agent reads the edge's refusal of its connect request (status, JSON error
// body, Retry-After). Input: 2 bytes of status, then Retry-After up to a NUL, then the body.
// Whatever arrives, the agent gets a message and never waits longer than an hour (a hostile or
// broken edge must not park it for days).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/connect_handshake.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int status = 100 + (data[0] << 8 | data[1]) % 500;
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  auto nul = rest.find('\0');
  std::string_view retry_after = rest.substr(0, nul);
  std::string_view body = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
  auto failure = relay::agent::classify_connect_refusal(status, body, retry_after);
  if (failure.message.empty()) __builtin_trap();
  if (failure.retry_after < std::chrono::seconds{0} || failure.retry_after > std::chrono::hours{1})
    __builtin_trap();
  if (status == 429 && (failure.permanent || failure.retry_after.count() == 0)) __builtin_trap();
  return 0;
}
