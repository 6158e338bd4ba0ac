// Whole verifiers over hostile headers and bodies: the first byte picks a provider, the rest is
// split into a signature header value, a timestamp and a body. Must never crash or accept.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "relay/verify/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto providers = relay::verify::builtin_registry().providers();
  if (size < 1) return 0;
  const auto& info = providers[data[0] % providers.size()];
  auto created = relay::verify::builtin_registry().create(info.name, {.secret = "fuzz-secret"});
  if (!created) return 0;
  const auto& v = *created;
  const std::string_view rest{reinterpret_cast<const char*>(data + 1), size - 1};
  const auto cut = rest.find('\n');
  const auto value = rest.substr(0, cut);
  const auto body = cut == std::string_view::npos ? std::string_view{} : rest.substr(cut + 1);
  relay::core::Headers headers;
  const auto first = info.headers.substr(0, info.headers.find_first_of(" ,("));
  headers.add(first, std::string{value});
  headers.add("X-Slack-Request-Timestamp", std::string{value.substr(0, 10)});
  (void)v->verify({"POST", "https://fuzz.test/?a=b", headers, body},
                  relay::core::from_unix_seconds(1764000000));
  (void)v->handshake(
      {"GET", std::string{"https://fuzz.test/?"} + std::string{value}, headers, body},
      relay::core::from_unix_seconds(1764000000));
  return 0;
}
