#pragma once

#include <string>
#include <string_view>

#include "relay/core/result.hpp"

namespace relay::verify {

// Resolves a configured secret: "env:NAME" (an environment variable), "file:PATH" (the file's
// content, one trailing newline stripped) or a literal. On failure `error` says what is missing
// and how to fix it, and the result holds an error code.
core::Result<std::string> resolve_secret(std::string_view spec, std::string& error);
// Same, throwing std::runtime_error with that message (start-up and config paths).
std::string resolve_secret_or_throw(std::string_view spec);

}  // namespace relay::verify
