#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relay::store::detail {

// Delivery ids are "<store>-<sequence>": 8 hex digits chosen at random when the store (the
// database file, or the memory store's process) was made, then a decimal sequence that never
// goes back. Apps deduplicate on Relay-Delivery-Id, so an id is never reused: not after a
// purge, and not by a database moved away and started afresh.
std::string random_store_tag();
std::string make_delivery_id(std::string_view store_tag, std::uint64_t sequence);
// The sequence of an id of this store; nullopt for anything else.
std::optional<std::uint64_t> parse_delivery_id(std::string_view store_tag, std::string_view id);

}  // namespace relay::store::detail
