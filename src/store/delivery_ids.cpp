#include "store/delivery_ids.hpp"

#include <charconv>
#include <random>

#include <fmt/format.h>

namespace relay::store::detail {

std::string random_store_tag() {
  std::random_device random;
  return fmt::format("{:08x}", static_cast<std::uint32_t>(random()));
}

std::string make_delivery_id(std::string_view store_tag, std::uint64_t sequence) {
  return fmt::format("{}-{}", store_tag, sequence);
}

std::optional<std::uint64_t> parse_delivery_id(std::string_view store_tag, std::string_view id) {
  if (id.size() <= store_tag.size() + 1 || !id.starts_with(store_tag) ||
      id[store_tag.size()] != '-') {
    return std::nullopt;
  }
  const auto digits = id.substr(store_tag.size() + 1);
  std::uint64_t sequence = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), sequence);
  if (ec != std::errc() || end != digits.data() + digits.size() || sequence == 0) {
    return std::nullopt;
  }
  return sequence;
}

}  // namespace relay::store::detail
