#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace relay::core {

// A Content-Length value as relay reads a message it already accepted: a plain decimal number
// that fits 64 bits, nothing around it; nullopt otherwise. (The checks a message must pass first,
// such as repeated values that agree, are net::Http1FramingCheck's and nghttp2's.)
std::optional<std::uint64_t> parse_content_length(std::string_view text);

}  // namespace relay::core
