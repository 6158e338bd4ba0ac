#pragma once

#include <array>
#include <string>
#include <string_view>

namespace relay::edge {

// Random tunnel names: 8 characters of [a-z0-9] from the OpenSSL CSPRNG (36^8 ≈ 2.8e12, so a
// name cannot be guessed to reach someone else's tunnel).
class NameGenerator {
 public:
  static constexpr std::size_t kLength = 8;
  std::string next();
};

// 2 * bytes hex characters from the CSPRNG: session ids.
std::string random_hex(std::size_t bytes);

// 16 hex characters naming one proxied request in logs and headers, held inline: one more
// than std::string keeps without a heap allocation.
class RequestId {
 public:
  static constexpr std::size_t kLength = 16;
  explicit RequestId(const std::array<char, kLength>& digits) : digits_(digits) {}
  [[nodiscard]] std::string_view view() const { return {digits_.data(), digits_.size()}; }

 private:
  std::array<char, kLength> digits_;
};

// A request id: unique and unguessable enough to correlate (a CSPRNG-seeded splitmix64
// sequence), not a secret. RAND_bytes per request cost more instructions than the rest of the
// request head handling.
RequestId request_id();

}  // namespace relay::edge
