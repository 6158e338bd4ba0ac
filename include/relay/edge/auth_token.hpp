#pragma once

#include <string>
#include <string_view>

#include "relay/edge/edge_options.hpp"

namespace relay::edge {

// A label safe to log for a token: "tok-" and the first 8 hex digits of its hash.
std::string token_label(std::string_view sha256_hex);

// An AuthToken for a token given in the clear (flag, file), hashed at once.
AuthToken make_auth_token(std::string_view token, std::string label = {});

}  // namespace relay::edge
