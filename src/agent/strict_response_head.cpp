#include "agent/strict_response_head.hpp"

#include <array>
#include <cstring>

#include "relay/core/content_length.hpp"
#include "relay/core/headers.hpp"
#include "relay/core/token_chars.hpp"

namespace relay::agent {

namespace {

// What a byte may be, as Beast's parser reads it: kToken, a field name's character (tchar,
// RFC 9110 §5.6.2); kText, a character of a field value or reason phrase (HTAB, SP, VCHAR,
// obs-text: any byte but a control character or DEL).
enum : unsigned char { kToken = 1, kText = 2 };

constexpr std::array<unsigned char, 256> kByteClass = [] {
  std::array<unsigned char, 256> table{};
  for (int c = 0; c < 256; ++c) {
    if (c == '\t' || (c >= ' ' && c != 0x7f)) table[c] |= kText;
    if (core::kTokenChars[c]) table[c] |= kToken;
  }
  return table;
}();

bool is(const char c, unsigned char what) {
  return (kByteClass[static_cast<unsigned char>(c)] & what) != 0;
}

// The first byte from `p` on that is not kText (or `end`). Eight bytes at a time while none of
// them is a control character or DEL (a value is ~20 bytes, the byte loop cost ~4 instructions a
// byte); a tab among them sends that word through the byte loop.
const char* skip_text(const char* p, const char* const end) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHighs = 0x8080808080808080;
  for (;;) {
    while (end - p >= 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, p, 8);
      // Non-zero when a byte is below 0x20 (Mycroft's test for a byte below n) or is 0x7f.
      const std::uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighs;
      const std::uint64_t del = word ^ (kOnes * 0x7f);
      if ((below_space | ((del - kOnes) & ~del & kHighs)) != 0) break;
      p += 8;
    }
    while (p < end && is(*p, kText) && *p != '\t') ++p;
    if (p == end || *p != '\t') return p;
    ++p;
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// A Content-Length of at most 18 digits, read as core::parse_content_length reads it (Beast's
// rule: digits only, fitting 64 bits); a longer one is left to Beast.
std::optional<std::uint64_t> plain_number(std::string_view text) {
  constexpr std::size_t kMaxDigits = 18;
  if (text.size() > kMaxDigits) return std::nullopt;
  return core::parse_content_length(text);
}

// The field's meaning for the head's framing; false for a field outside the strict shape.
// Beast acts on these five names only (matched in any case).
bool note_field(std::string_view name, std::string_view value, StrictResponseHead& head,
                net::Http1FramingCheck& framing) {
  switch (name.size()) {
    case 7:
      return !core::iequals(name, "upgrade");
    case 10:
      if (!core::iequals(name, "connection")) return true;
      if (core::iequals(value, "close")) {
        head.connection_close = true;
        return true;
      }
      if (core::iequals(value, "keep-alive")) {
        head.connection_keep_alive = true;
        return true;
      }
      return false;  // a list, "upgrade" or a token Beast reads as a list of one
    case 14: {
      if (!core::iequals(name, "content-length")) return true;
      if (head.content_length) return false;  // a repeated field: Beast compares them
      head.content_length = plain_number(value);
      if (!head.content_length) return false;
      framing.add_lengths(value);
      return true;
    }
    case 16:
      return !core::iequals(name, "proxy-connection");
    case 17:
      return !core::iequals(name, "transfer-encoding");
    default:
      return true;
  }
}

}  // namespace

std::optional<StrictResponseHead> parse_strict_response_head(std::string_view bytes,
                                                             std::size_t limit,
                                                             std::vector<FieldView>& fields,
                                                             net::Http1FramingCheck& framing) {
  if (bytes.size() > limit) bytes = bytes.substr(0, limit);
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  StrictResponseHead head;

  // "HTTP/1.1 200 "
  constexpr std::size_t kStatusPrefix = 13;
  if (bytes.size() < kStatusPrefix || std::memcmp(p, "HTTP/1.", 7) != 0 ||
      (p[7] != '0' && p[7] != '1') || p[8] != ' ' || !is_digit(p[9]) || !is_digit(p[10]) ||
      !is_digit(p[11]) || p[12] != ' ') {
    return std::nullopt;
  }
  head.version = p[7] == '1' ? 11 : 10;
  head.status = static_cast<unsigned>((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
  if (head.status < 200 || head.status > 599) return std::nullopt;  // interim ones among them
  p += kStatusPrefix;
  p = skip_text(p, end);  // the reason phrase
  if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return std::nullopt;
  p += 2;

  for (;;) {
    if (end - p < 2) return std::nullopt;
    if (p[0] == '\r') {
      if (p[1] != '\n') return std::nullopt;
      p += 2;
      break;
    }
    const char* const name_begin = p;
    while (p < end && is(*p, kToken)) ++p;
    if (p == name_begin || p == end || *p != ':') return std::nullopt;
    const std::string_view name(name_begin, static_cast<std::size_t>(p - name_begin));
    ++p;
    while (p < end && is_blank(*p)) ++p;
    const char* const value_begin = p;
    p = skip_text(p, end);
    // CRLF, then a byte that does not fold the value onto the next line.
    if (end - p < 3 || p[0] != '\r' || p[1] != '\n' || is_blank(p[2])) return std::nullopt;
    const char* value_end = p;
    while (value_end > value_begin && is_blank(value_end[-1])) --value_end;
    const std::string_view value(value_begin, static_cast<std::size_t>(value_end - value_begin));
    p += 2;
    if (!note_field(name, value, head, framing)) return std::nullopt;
    fields.push_back({name, value});
  }
  head.size = static_cast<std::size_t>(p - bytes.data());
  return head;
}

}  // namespace relay::agent
