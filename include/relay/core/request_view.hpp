#pragma once

#include <string_view>

#include "relay/core/headers.hpp"

namespace relay::core {

// What a verifier or handshake sees of a request: read-only, non-owning. `url` is the full
// public URL the provider called (scheme://host/path?query); some providers sign it.
struct RequestView {
  std::string_view method;
  std::string_view url;
  const Headers& headers;
  std::string_view body;
};

}  // namespace relay::core
