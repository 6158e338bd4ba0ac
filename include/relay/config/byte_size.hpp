#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace relay::config {

// A size as config files and flags write it: "1048576", "64KiB", "10MiB", "2GiB" (also k, m, g
// for KiB, MiB, GiB; kB, MB, GB for powers of 1000; case-insensitive; one space allowed before
// the unit). At most 2^40 of a unit. nullopt for anything else.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

}  // namespace relay::config
