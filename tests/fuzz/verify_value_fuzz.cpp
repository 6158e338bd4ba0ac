// The remaining header value parsers of the verify module, on hostile input: comma lists,
// timestamps in every format, hex/base64 signature decoding, JWT tokens (Plaid, Okta-style
// bearer schemes) and query/form strings (handshakes, Twilio). Each must be total: never crash,
// and a decode that succeeds must round-trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "relay/verify/crypto.hpp"
#include "relay/verify/signature_header.hpp"
#include "verify/jwt.hpp"
#include "verify/verify_detail.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace relay::verify;
  const std::string_view input{reinterpret_cast<const char*>(data), size};

  for (const auto item : split_list(input, ',')) {
    if (item.empty() || item != trim(item)) __builtin_trap();
  }
  for (const auto format :
       {TimestampFormat::unix_seconds, TimestampFormat::unix_millis, TimestampFormat::iso8601}) {
    (void)detail::parse_timestamp(input, format);
  }
  if (const auto bytes = hex_decode(input)) {
    if (bytes->size() * 2 != input.size()) __builtin_trap();
  }
  (void)base64_decode(input);
  if (const auto jwt = detail::parse_jwt(input)) {
    if (!jwt->header.is_object() || !jwt->claims.is_object()) __builtin_trap();
  }
  (void)detail::query_param(std::string{"https://fuzz.test/p?"} + std::string{input}, "challenge");
  (void)detail::form_params(input);
  return 0;
}
