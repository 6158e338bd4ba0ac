#pragma once

#include <string>
#include <string_view>

#include "relay/core/failure.hpp"

namespace relay::verify {

// Resolves a configured secret: "env:NAME" (an environment variable), "file:PATH" (the file's
// content, one trailing newline stripped) or a literal. The failure says what is missing and
// how to fix it (code VerifyErrc::secret_unavailable).
core::Fallible<std::string> resolve_secret(std::string_view spec);
// Same, throwing std::runtime_error with that message (start-up and config paths).
std::string resolve_secret_or_throw(std::string_view spec);

}  // namespace relay::verify
