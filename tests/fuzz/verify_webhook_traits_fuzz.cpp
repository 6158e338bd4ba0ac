// verify::looks_like_handshake and verify::event_id over hostile requests: the first byte picks
// the method and which id/handshake headers are present, the rest is split into a URL (query),
// a header value and a body. Must never crash, and an event id is never longer than the cap.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "relay/verify/webhook_traits.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static constexpr std::array<std::string_view, 8> kHeaders = {"Stripe-Signature",
                                                               "svix-id",
                                                               "X-Signature-Ed25519",
                                                               "Request-ID",
                                                               "TokPortal-Event-Id",
                                                               "Sentry-Hook-Signature",
                                                               "X-Okta-Verification-Challenge",
                                                               "webhook-id"};
  const std::uint8_t selector = data[0];
  const std::string_view rest{reinterpret_cast<const char*>(data + 1), size - 1};
  const auto first = rest.find('\n');
  const auto query = rest.substr(0, first);
  const auto after = first == std::string_view::npos ? std::string_view{} : rest.substr(first + 1);
  const auto second = after.find('\n');
  const auto value = after.substr(0, second);
  const auto body =
      second == std::string_view::npos ? std::string_view{} : after.substr(second + 1);
  relay::core::Headers headers;
  for (std::size_t i = 0; i < kHeaders.size(); ++i) {
    if ((selector >> i) & 1U) headers.add(std::string(kHeaders[i]), std::string(value));
  }
  const std::string url = "https://fuzz.test/h?" + std::string(query);
  for (std::string_view method : {"GET", "POST"}) {
    const relay::core::RequestView request{method, url, headers, body};
    (void)relay::verify::looks_like_handshake(request);
    if (relay::verify::event_id(request).size() > relay::verify::kMaxEventIdBytes) std::abort();
  }
  return 0;
}
