#include "agent/header_mapping.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>

#include "relay/agent/upstream_address.hpp"
#include "relay/core/error_page.hpp"
#include "relay/core/host_port.hpp"
#include "relay/core/token_chars.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::agent {

namespace {

namespace protocol = net::protocol;

// Names and values are scanned 8 bytes at a time (a word); these run for every field of every
// request and response.
constexpr std::uint64_t kOnes = 0x0101010101010101u;
constexpr std::uint64_t kHighBits = kOnes * 0x80;

// Whether any byte of `word` is below `bound` (at most 0x80). Exact: a borrow starts only at a
// byte below `bound`, and the lowest such byte gets its high bit set whatever the bytes above.
constexpr bool has_byte_below(std::uint64_t word, std::uint8_t bound) {
  return ((word - kOnes * bound) & ~word & kHighBits) != 0;
}

// 0x80 in each byte of `word` that is an ASCII upper-case letter, 0 in the others. Each byte is
// computed apart: its sums stay below 0x100, so no carry or borrow crosses into the next.
constexpr std::uint64_t upper_case_bytes(std::uint64_t word) {
  const std::uint64_t low7 = word & (kOnes * 0x7f);
  const std::uint64_t up_to_z = kOnes * (0x7f + 'Z' + 1) - low7;   // high bit: low7 <= 'Z'
  const std::uint64_t from_a = low7 + kOnes * (0x7f - ('A' - 1));  // high bit: low7 >= 'A'
  return up_to_z & from_a & ~word & kHighBits;
}
static_assert(upper_case_bytes(0x4140'5a5b'617a'c1da) == 0x8000'8000'0000'0000);

std::uint64_t load_word(const char* p) {
  std::uint64_t word = 0;
  std::memcpy(&word, p, sizeof word);
  return word;
}

void store_word(char* p, std::uint64_t word) { std::memcpy(p, &word, sizeof word); }

bool is_line_break(char c) { return c == '\r' || c == '\n'; }

// No CR or LF in `v`: it cannot start a line of its own in the head. This runs for every name and
// value of a request, so it reads 8 bytes at a time: a word without a byte below 0x0e (the usual
// case) has neither, and only a word with one (CR, LF, a tab) is looked at byte by byte. Two
// memchr calls (one per character) cost about as much as the whole scan of a short value.
bool safe_value(std::string_view v) {
  constexpr std::uint8_t kPastCr = '\r' + 1;
  const char* p = v.data();
  const std::size_t n = v.size();
  auto bytes_are_safe = [&](std::size_t at, std::size_t count) {
    for (std::size_t i = at; i < at + count; ++i) {
      if (is_line_break(p[i])) return false;
    }
    return true;
  };
  if (n < 8) return bytes_are_safe(0, n);
  auto word_is_safe = [&](std::size_t at) {
    return !has_byte_below(load_word(p + at), kPastCr) || bytes_are_safe(at, 8);
  };
  for (std::size_t at = 0; at + 8 < n; at += 8) {
    if (!word_is_safe(at)) return false;
  }
  return word_is_safe(n - 8);  // the last 8 bytes, overlapping the words before when need be
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

bool has_upper(std::string_view name) {
  const char* p = name.data();
  const std::size_t n = name.size();
  if (n < 8) return std::any_of(name.begin(), name.end(), is_upper);
  for (std::size_t at = 0; at + 8 < n; at += 8) {
    if (upper_case_bytes(load_word(p + at)) != 0) return true;
  }
  return upper_case_bytes(load_word(p + n - 8)) != 0;  // the last 8, overlapping
}

// HTTP/2 field names arrive in lower case (nghttp2 rejects others); names from a replayed
// request or an HTTP/1.1 response may not, so only those are copied.
std::string_view lower_name(std::string_view name, std::string& scratch) {
  if (!has_upper(name)) return name;
  scratch = core::to_lower(name);
  return scratch;
}

void to_lower_in_place(char* p, std::size_t n) {
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i) {
      if (is_upper(p[i])) p[i] = static_cast<char>(p[i] - 'A' + 'a');
    }
    return;
  }
  auto lower_word = [&](std::size_t at) {
    const auto word = load_word(p + at);
    store_word(p + at, word | upper_case_bytes(word) >> 2);  // 0x80 >> 2: 'a' - 'A'
  };
  for (std::size_t at = 0; at + 8 < n; at += 8) lower_word(at);
  lower_word(n - 8);  // the last 8, overlapping bytes already lowered (lowering them is a no-op)
}

// "name: value\r\n", grown once and filled: four appends were four capacity checks and four
// memcpy calls (two of them for two bytes) per field.
void append_field(std::string& out, std::string_view name, std::string_view value) {
  const auto at = out.size();
  out.resize(at + name.size() + value.size() + 4);
  char* p = std::copy(name.begin(), name.end(), out.data() + at);
  *p++ = ':';
  *p++ = ' ';
  p = std::copy(value.begin(), value.end(), p);
  *p++ = '\r';
  *p = '\n';
}

// A name the caller gave in options.remove (any case).
bool listed(const std::vector<std::string>* names, std::string_view lower) {
  return names != nullptr && std::any_of(names->begin(), names->end(), [&](const std::string& n) {
           return core::iequals(n, lower);
         });
}

// The relay-* fields the app gets: the request id (to match its logs with relay's) and a queued
// delivery's id, received-at and attempt (to deduplicate and judge freshness). The edge strips
// all of them from public requests, so they are relay's.
bool passed_to_app(std::string_view lower) {
  return lower == protocol::kRequestIdHeader || lower == protocol::kDeliveryIdHeader ||
         lower == protocol::kReceivedAtHeader || lower == protocol::kDeliveryAttemptHeader;
}

// What map_request does with a request field, by its lower-case name alone (the Connection
// header's items and options.remove are checked afterwards, for the fields kept here).
enum class RequestFieldRole { copy, drop, cookie, content_length };

// A switch on the length first: a field is compared with the one or two names of its length
// only (this runs for every field of every request).
RequestFieldRole request_field_role(std::string_view lower) {
  using enum RequestFieldRole;
  if (protocol::is_hop_by_hop(lower)) return drop;
  if (lower.starts_with("relay-")) return passed_to_app(lower) ? copy : drop;
  switch (lower.size()) {
    case 4:
      return lower == "host" ? drop : copy;  // Host is written first, from :authority
    case 6:
      if (lower == "cookie") return cookie;
      return lower == "expect" ? drop : copy;
    // Ours win: the edge decided the client address (relay-remote-addr), a caller's own
    // values would let it claim any address.
    case 9:
      return lower == "forwarded" || lower == "x-real-ip" ? drop : copy;
    case 14:
      if (lower == "content-length") return content_length;
      return lower == "http2-settings" ? drop : copy;
    case 15:
      return lower == "x-forwarded-for" ? drop : copy;
    case 16:
      return lower == "x-forwarded-host" ? drop : copy;
    case 17:
      return lower == "x-forwarded-proto" ? drop : copy;
    default:
      return copy;
  }
}

// iequals(name, lower) for a lower-case `lower`, inlined where every field of a request is
// compared (a call per comparison cost more than the comparison; a memcmp first did too).
bool is_named(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c != lower[i] && !(c >= 'A' && c <= 'Z' && static_cast<char>(c - 'A' + 'a') == lower[i])) {
      return false;
    }
  }
  return true;
}

// is_named(name, lower) for a name already known to be `L` bytes long (request_facts switches on
// the length): compared 8 bytes at a time, each word lowered at once, where the byte loop cost
// about 8 instructions a byte for every field of every request.
// Always inlined: as a call (GCC did not inline the longer ones) it cost more than the byte loop,
// and inlined, the two comparisons of a length share the name's words.
template <std::size_t L>
[[gnu::always_inline]] inline bool is_named_as(std::string_view name, std::string_view lower) {
  static_assert(L > 0 && L <= 24);
  auto lowered_word = [](const char* p, std::size_t n) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, n);                   // n is a constant once inlined: one or two loads
    return word | upper_case_bytes(word) >> 2;  // 0x80 >> 2: 'a' - 'A'
  };
  auto word_of = [](const char* p, std::size_t n) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, n);
    return word;
  };
  if (name.size() != L || lower.size() != L) return false;
  if constexpr (L < 8) {
    return lowered_word(name.data(), L) == word_of(lower.data(), L);
  } else {
    for (std::size_t at = 0; at + 8 < L; at += 8) {
      if (lowered_word(name.data() + at, 8) != word_of(lower.data() + at, 8)) return false;
    }
    // The last 8 bytes, overlapping the words before when need be.
    return lowered_word(name.data() + L - 8, 8) == word_of(lower.data() + L - 8, 8);
  }
}

void keep_first(std::optional<std::string_view>& slot, std::string_view value) {
  if (!slot) slot = value;
}

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The field names a message's Connection values list (RFC 9110 §7.6.1: those fields are
// hop-by-hop), as core::lists_have_token reads them, split once per message: each field is then
// compared with the few names (by length first), not the lists parsed again for every field.
class ConnectionItems {
 public:
  // A Connection value: a comma-separated list.
  void add_list(std::string_view list) {
    for (;;) {
      const auto comma = list.find(',');
      const auto item = trim_blanks(list.substr(0, comma));
      if (!item.empty()) items_.push_back(item);
      if (comma == std::string_view::npos) return;
      list.remove_prefix(comma + 1);
    }
  }
  // `lower`: a name in lower case.
  [[nodiscard]] bool names(std::string_view lower) const {
    // A loop: std::any_of here was a call per field (it was not inlined).
    // NOLINTNEXTLINE(readability-use-anyofallof)
    for (const auto item : items_) {
      if (is_named(item, lower)) return true;
    }
    return false;
  }

 private:
  std::vector<std::string_view> items_;
};

}  // namespace

RequestFacts request_facts(const core::Headers& in) {
  RequestFacts facts;
  for (const auto& f : in) {
    const std::string_view name = f.name;
    switch (name.size()) {  // iequals only against the names of that length
      case 4:
        if (is_named_as<4>(name, "host")) keep_first(facts.host, f.value);
        break;
      case 5:
        if (is_named_as<5>(name, ":path")) keep_first(facts.path, f.value);
        break;
      case 7:
        if (is_named_as<7>(name, ":method")) keep_first(facts.method, f.value);
        if (is_named_as<7>(name, ":scheme")) keep_first(facts.scheme, f.value);
        break;
      case 10:
        if (is_named_as<10>(name, ":authority")) keep_first(facts.authority, f.value);
        if (is_named_as<10>(name, "connection")) facts.connection.push_back(f.value);
        break;
      case 14:
        if (is_named_as<14>(name, "content-length")) keep_first(facts.content_length, f.value);
        break;
      case protocol::kRequestIdHeader.size():
        if (is_named_as<protocol::kRequestIdHeader.size()>(name, protocol::kRequestIdHeader))
          keep_first(facts.request_id, f.value);
        break;
      case protocol::kRemoteAddrHeader.size():
        static_assert(protocol::kDeliveryIdHeader.size() == protocol::kRemoteAddrHeader.size());
        if (is_named_as<protocol::kRemoteAddrHeader.size()>(name, protocol::kRemoteAddrHeader))
          keep_first(facts.remote_addr, f.value);
        if (is_named_as<protocol::kDeliveryIdHeader.size()>(name, protocol::kDeliveryIdHeader))
          keep_first(facts.delivery_id, f.value);
        break;
      default:
        break;
    }
  }
  return facts;
}

namespace {

// What a byte is in a Forwarded parameter value (RFC 7239 §4), as bits: kToken for an RFC 9110
// §5.6.2 tchar, kEscaped for a character a quoted-string escapes, neither for another (kept as is
// inside quotes). In ASCII: std::isalnum would consult the locale for each byte.
constexpr std::uint8_t kToken = 1;
constexpr std::uint8_t kEscaped = 2;

constexpr auto kParamChars = [] {
  std::array<std::uint8_t, 256> table{};
  for (std::size_t c = 0; c < table.size(); ++c) {
    if (core::kTokenChars.at(c)) table.at(c) = kToken;
  }
  table.at('"') = kEscaped;
  table.at('\\') = kEscaped;
  return table;
}();

std::uint8_t param_char(char c) { return kParamChars[static_cast<unsigned char>(c)]; }

// A Forwarded parameter (RFC 7239 §4), name=value: the value as is when it is a token, anything
// else quoted (an IPv6 address in brackets). Its length is known before it is written, so the
// whole field is sized once and written in place: the dozen small appends it was cost more than
// the values.
class ForwardedParam {
 public:
  ForwardedParam() = default;
  ForwardedParam(std::string_view name, std::string_view value, std::string_view brackets = {})
      : name_(name), value_(value), brackets_(brackets) {
    // Without a branch per byte: kToken stays set in `all` only if every byte has it.
    std::uint8_t all = kToken;
    for (const char c : value) {
      const auto kind = param_char(c);
      all &= kind;
      escapes_ += kind >> 1;
    }
    quoted_ = !brackets.empty() || value.empty() || (all & kToken) == 0;
  }

  [[nodiscard]] std::size_t size() const {
    const std::size_t quoting = quoted_ ? 2 + brackets_.size() + escapes_ : 0;
    return name_.size() + 1 + value_.size() + quoting;
  }

  // Writes size() bytes at `p`; returns the end.
  char* write(char* p) const {
    p = std::copy(name_.begin(), name_.end(), p);
    *p++ = '=';
    if (!quoted_) return std::copy(value_.begin(), value_.end(), p);
    *p++ = '"';
    if (!brackets_.empty()) *p++ = brackets_.front();
    if (escapes_ == 0) {
      p = std::copy(value_.begin(), value_.end(), p);
    } else {
      for (const char c : value_) {
        if (param_char(c) == kEscaped) *p++ = '\\';
        *p++ = c;
      }
    }
    if (!brackets_.empty()) *p++ = brackets_.back();
    *p++ = '"';
    return p;
  }

 private:
  std::string_view name_;
  std::string_view value_;
  std::string_view brackets_;
  std::size_t escapes_ = 0;
  bool quoted_ = false;
};

// Forwarded: for=203.0.113.9;host=...;proto=https. Written straight into the head; nothing at all
// when there is no parameter. The caller checked each value with safe_value() ("" for one that
// failed).
void append_forwarded(std::string& out, std::string_view client, std::string_view scheme,
                      std::string_view authority) {
  std::array<ForwardedParam, 3> params;
  std::size_t count = 0;
  if (!client.empty()) {
    params[count++] = {"for", client, client.find(':') != std::string_view::npos ? "[]" : ""};
  }
  if (!authority.empty()) params[count++] = {"host", authority};
  if (!scheme.empty()) params[count++] = {"proto", scheme};
  if (count == 0) return;

  constexpr std::string_view kPrefix = "Forwarded: ";
  std::size_t size = kPrefix.size() + (count - 1) + 2;  // the prefix, the ';'s and CRLF
  for (std::size_t i = 0; i < count; ++i) size += params[i].size();
  const auto at = out.size();
  out.resize(at + size);
  char* p = std::copy(kPrefix.begin(), kPrefix.end(), out.data() + at);
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) *p++ = ';';
    p = params[i].write(p);
  }
  *p++ = '\r';
  *p = '\n';
}

}  // namespace

UpstreamRequestHead map_request(const core::Headers& in, const RequestMappingOptions& options) {
  return map_request(in, request_facts(in), options);
}

UpstreamRequestHead map_request(const core::Headers& in, const RequestFacts& facts,
                                const RequestMappingOptions& options) {
  UpstreamRequestHead head;
  head.method = std::string(facts.method.value_or("GET"));
  const auto path = facts.path.value_or("/");
  head.path = path.empty() ? std::string("/") : std::string(path);
  // A CR or LF in it would start a line of its own after "Host: " (HTTP/2 refuses one, a replay
  // may not): such an authority is not used at all, as if there were none.
  auto authority = facts.authority_or_host();
  if (!safe_value(authority)) authority = {};
  const auto scheme = facts.scheme.value_or("http");
  const bool scheme_safe = safe_value(scheme);  // else not passed on at all

  std::string rewritten;  // the Host value when it is not a view of the request or options
  std::string_view host = authority;
  if (options.host_header == "rewrite") {
    if (options.upstream) host = rewritten = options.upstream->host_port();
  } else if (!options.host_header.empty()) {
    host = options.host_header;
  }
  if (host.empty() && options.upstream) host = rewritten = options.upstream->host_port();

  std::string& out = head.text;
  out.reserve(512);
  out.append(head.method).append(" ").append(head.path).append(" HTTP/1.1\r\n");
  append_field(out, "Host", host);

  ConnectionItems hop_by_hop;
  for (const auto list : facts.connection) hop_by_hop.add_list(list);
  std::string cookies;
  bool has_length = false;
  std::string scratch;
  const bool check_fields = !options.fields_validated;
  for (const auto& f : in) {
    if (f.name.empty() || f.name.front() == ':') continue;
    const auto lower = check_fields ? lower_name(f.name, scratch) : f.name;
    // Never inject a line.
    if (check_fields && (!safe_value(f.value) || !safe_value(f.name))) continue;
    const auto role = request_field_role(lower);
    if (role == RequestFieldRole::drop || hop_by_hop.names(lower) ||
        listed(options.remove, lower)) {
      continue;
    }
    if (role == RequestFieldRole::cookie) {
      if (!cookies.empty()) cookies += "; ";
      cookies += f.value;
      continue;
    }
    if (role == RequestFieldRole::content_length) {
      if (has_length) continue;  // HTTP/2 already checked that repeated values agree
      has_length = true;
    }
    append_field(out, f.name, f.value);
  }
  if (!cookies.empty()) append_field(out, "Cookie", cookies);
  std::string_view client;
  if (facts.remote_addr && safe_value(*facts.remote_addr)) {
    client = core::address_without_port(*facts.remote_addr);
  }
  if (!client.empty()) {
    append_field(out, "X-Forwarded-For", client);
    append_field(out, "X-Real-IP", client);
  }
  if (scheme_safe) append_field(out, "X-Forwarded-Proto", scheme);
  if (!authority.empty()) append_field(out, "X-Forwarded-Host", authority);
  append_forwarded(out, client, scheme_safe ? scheme : std::string_view(), authority);
  if (options.add) {
    for (const auto& [name, value] : *options.add) {
      if (safe_value(name) && safe_value(value)) append_field(out, name, value);
    }
  }

  if (has_length) {
    head.framing = BodyFraming::content_length;
  } else if (options.body_follows) {
    head.framing = BodyFraming::chunked;
    append_field(out, "Transfer-Encoding", "chunked");
  } else {
    head.framing = BodyFraming::none;
    // Servers reject a bodiless POST without a length (411); say it explicitly.
    if (head.method == "POST" || head.method == "PUT" || head.method == "PATCH") {
      append_field(out, "Content-Length", "0");
    }
  }
  out.append("\r\n");
  return head;
}

core::Headers map_response_headers(std::span<const FieldView> in) {
  ConnectionItems hop_by_hop;
  std::size_t text_bytes = 0;  // of all fields: the output's one buffer, allocated once
  for (const auto& f : in) {
    if (is_named(f.name, "connection")) hop_by_hop.add_list(f.value);
    text_bytes += f.name.size() + f.value.size();
  }
  core::Headers out;
  out.reserve(in.size(), text_bytes);
  bool has_length = false;
  // A name is lowered here first (a longer one in `long_name`), and copied into the output only
  // when it is kept.
  std::array<char, 64> short_name{};
  std::string long_name;
  for (const auto& f : in) {
    char* lowered = short_name.data();
    if (f.name.size() > short_name.size()) {
      long_name.assign(f.name);
      lowered = long_name.data();
    } else {
      std::copy(f.name.begin(), f.name.end(), lowered);
    }
    to_lower_in_place(lowered, f.name.size());
    const std::string_view lower(lowered, f.name.size());
    if (lower.empty() || lower.front() == ':' || protocol::is_hop_by_hop(lower) ||
        lower == core::kRelayErrorCodeHeader || hop_by_hop.names(lower)) {
      continue;
    }
    if (lower == "content-length") {
      // "5, 5" or a repeated field, already checked to agree (net::Http1FramingCheck): HTTP/2
      // takes one number, and the edge would refuse the stream otherwise.
      if (has_length) continue;
      has_length = true;
      std::string_view value = f.value;
      value = value.substr(0, value.find(','));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
      out.add(lower, value);
      continue;
    }
    out.add(lower, f.value);
  }
  return out;
}

core::Headers map_response_headers(const core::Headers& in) {
  std::vector<FieldView> fields;
  fields.reserve(in.size());
  for (const auto& f : in) fields.push_back({f.name, f.value});
  return map_response_headers(fields);
}

}  // namespace relay::agent
