#include "edge/name_generator.hpp"

#include <cstdint>

#include <array>
#include <stdexcept>

#include <openssl/rand.h>

namespace relay::edge {

namespace {
void fill_random(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    // The CSPRNG failing is a broken invariant of the process, not bad input.
    throw std::runtime_error("the OpenSSL random generator failed");
  }
}
}  // namespace

std::string NameGenerator::next() {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string name;
  name.reserve(kLength);
  while (name.size() < kLength) {
    std::array<unsigned char, 16> bytes{};
    fill_random(bytes.data(), bytes.size());
    for (unsigned char b : bytes) {
      // 252 = 7 * 36: rejecting the rest keeps the distribution uniform.
      if (b < 252 && name.size() < kLength) name.push_back(kAlphabet[b % kAlphabet.size()]);
    }
  }
  return name;
}

std::string random_hex(std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string bytes(n, '\0');
  fill_random(reinterpret_cast<unsigned char*>(bytes.data()), n);
  std::string out;
  out.reserve(n * 2);
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

RequestId request_id() {
  // Two hex digits per byte from a table built at compile time: half the steps of one per digit.
  static constexpr auto kHexPairs = [] {
    constexpr std::string_view kHex = "0123456789abcdef";
    std::array<std::array<char, 2>, 256> pairs{};
    for (std::size_t b = 0; b < pairs.size(); ++b) pairs[b] = {kHex[b >> 4], kHex[b & 0xf]};
    return pairs;
  }();
  // One io thread per process, but thread_local keeps it safe if that ever changes. Constant
  // initialised (seeded on first use): a dynamic initialiser costs a guard call on every use.
  thread_local std::uint64_t state = 0;
  thread_local bool seeded = false;
  if (!seeded) {
    fill_random(reinterpret_cast<unsigned char*>(&state), sizeof state);
    seeded = true;
  }
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  std::array<char, RequestId::kLength> digits{};
  for (auto i = digits.size(); i > 0; i -= 2, z >>= 8) {
    const auto& pair = kHexPairs[z & 0xff];
    digits[i - 2] = pair[0];
    digits[i - 1] = pair[1];
  }
  return RequestId(digits);
}

}  // namespace relay::edge
