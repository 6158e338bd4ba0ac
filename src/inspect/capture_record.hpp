#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "relay/inspect/capture.hpp"

namespace relay::inspect::detail {

// How a capture is stored on disk (CaptureDb packs many into one row): every field,
// length-prefixed, bodies as raw bytes. It replaced a JSON document per row (still read once, to
// move old files over) because rendering base64 bodies through nlohmann::json cost more CPU than
// the whole request it recorded.
//
// Layout: "RC" then a format byte (1); then the fields in declaration order: strings as a u32
// little-endian length and the bytes, integers as i64 little-endian, bools as one byte, headers as
// a u32 count and name/value strings, a body as its data, its wire size (i64) and truncated; the
// verdict as a presence byte, then code (its stable name), provider, reason, and event_id as a
// presence byte and a string.
// Appends the record to `out`.
void encode_record(const Capture& capture, std::string& out);
// nullopt for a payload it cannot read (damaged, or written by a newer relay): the store skips it.
std::optional<Capture> decode_record(std::string_view payload);

// One row of CaptureDb: entries back to back, each the capture's sequence number (u64), the
// record's length (u32) and the record.
void append_batch_entry(std::uint64_t seq, const Capture& capture, std::string& out);
// The entries in order; reading stops at the first damaged one (what precedes it is kept).
std::vector<std::pair<std::uint64_t, Capture>> decode_batch(std::string_view row);

}  // namespace relay::inspect::detail
