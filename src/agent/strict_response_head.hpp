#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "agent/header_mapping.hpp"
#include "relay/net/http1_framing.hpp"

namespace relay::agent {

// The head of an app's response in the one shape nearly every app sends, as Beast's parser would
// read it. Beast's parser costs ~4k instructions for a 6-field head (a name lookup per field,
// list parsing of every Connection value, a state machine that expects bytes to come one at a
// time); this reads such a head in one pass over bytes already at hand. A subset of what Beast
// accepts, with Beast's result on it (tests/fuzz/response_head_fuzz.cpp compares the two); for
// everything else Beast parses the head.
struct StrictResponseHead {
  unsigned status = 0;   // 200-599
  unsigned version = 0;  // 10 or 11
  std::size_t size = 0;  // bytes of the head, its empty line included
  std::optional<std::uint64_t> content_length;
  bool connection_close = false;       // Connection: close
  bool connection_keep_alive = false;  // Connection: keep-alive
};

// The head at the start of `bytes`, when all of it is there (at most `limit` bytes) and it is
// "HTTP/1.1" or "HTTP/1.0", a status from 200 to 599, then fields with token names and values of
// visible characters, spaces and tabs, where
// - Content-Length is at most one field of one decimal number (fed to `framing`),
// - Connection is "close" or "keep-alive",
// - there is no Transfer-Encoding, Upgrade or Proxy-Connection and no folded line.
// Each field is appended to `fields` as views of `bytes`. nullopt otherwise; `fields` and
// `framing` then hold what was read before the end was found, for the caller to reset.
[[nodiscard]] std::optional<StrictResponseHead> parse_strict_response_head(
    std::string_view bytes, std::size_t limit, std::vector<FieldView>& fields,
    net::Http1FramingCheck& framing);

}  // namespace relay::agent
