#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "relay/edge/edge_options.hpp"

namespace relay::config {

// `relay edge token add|list|revoke`: the authtokens list of the edge config, edited as text so
// comments and the rest of the file stay as written. Only hashes are stored.

// A new random token ("relay_" + 43 base64url characters, 256 bits).
std::string generate_token();

// The text with `token` appended to the block list under `authtokens:` (created when missing).
// Throws std::invalid_argument when the list is written in flow style with entries ([a, b]),
// which cannot be edited without re-emitting it, or when the label is already used.
std::string add_token_entry(std::string_view text, const edge::AuthToken& token);

// The text without the entry labelled `label`. Throws std::invalid_argument naming the known
// labels when there is none.
std::string remove_token_entry(std::string_view text, std::string_view label);

}  // namespace relay::config
