#include "store/stored_headers.hpp"

#include <cstdint>

namespace relay::store::detail {
namespace {

// Headers are bounded by the edge's header limits (kilobytes): a longer length is damage.
constexpr std::uint64_t kMaxLength = 1U << 24;

void put_length(std::string& out, std::size_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

std::optional<std::string_view> take(std::string_view& in) {
  std::uint64_t n = 0;
  for (int shift = 0;; shift += 7) {
    if (in.empty() || shift > 28) return std::nullopt;
    const auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    n |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  if (n > kMaxLength || n > in.size()) return std::nullopt;
  auto field = in.substr(0, n);
  in.remove_prefix(n);
  return field;
}

}  // namespace

std::string encode_headers(const core::Headers& headers) {
  std::string out;
  std::size_t size = 0;
  for (const auto& f : headers) size += f.name.size() + f.value.size() + 4;
  out.reserve(size);
  for (const auto& f : headers) {
    put_length(out, f.name.size());
    out += f.name;
    put_length(out, f.value.size());
    out += f.value;
  }
  return out;
}

std::optional<core::Headers> decode_headers(std::string_view blob) {
  core::Headers headers;
  while (!blob.empty()) {
    auto name = take(blob);
    if (!name) return std::nullopt;
    auto value = take(blob);
    if (!value) return std::nullopt;
    headers.add(std::string(*name), std::string(*value));
  }
  return headers;
}

}  // namespace relay::store::detail
