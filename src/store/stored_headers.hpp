#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "relay/core/headers.hpp"

namespace relay::store::detail {

// A delivery's header list as one compact BLOB: per field, the name's length (LEB128), the
// name, the value's length (LEB128), the value. Byte-exact, order and repeats kept: the
// delivery replays the request as the edge would have forwarded it.
std::string encode_headers(const core::Headers& headers);
// nullopt for a blob that is not such a list (a damaged row): the caller reports it.
std::optional<core::Headers> decode_headers(std::string_view blob);

}  // namespace relay::store::detail
