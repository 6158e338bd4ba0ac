#pragma once

#include <string>

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

// 16 hex characters naming one proxied request in logs and headers: unique and unguessable
// enough to correlate (a CSPRNG-seeded splitmix64 sequence), not a secret. RAND_bytes per
// request cost more instructions than the rest of the request head handling.
std::string request_id();

}  // namespace relay::edge
