#include "relay/net/http1_framing.hpp"

#include <charconv>

#include "relay/core/headers.hpp"
#include "relay/core/token_chars.hpp"

namespace relay::net {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `each` with every trimmed element of a comma-separated list, empty ones included.
template <class F>
void for_each_element(std::string_view list, F&& each) {
  for (;;) {
    const auto comma = list.find(',');
    each(trim(list.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

int Http1Framing::request_status() const {
  switch (error) {
    case Http1FramingError::none:
      return 0;
    case Http1FramingError::te_unsupported:
      return 501;
    default:
      return 400;
  }
}

std::string_view Http1Framing::reason() const {
  switch (error) {
    case Http1FramingError::none:
      return {};
    case Http1FramingError::te_invalid:
      return "its Transfer-Encoding is not a list of transfer codings";
    case Http1FramingError::te_not_chunked:
      return "its Transfer-Encoding does not end with chunked, so the body's end cannot be found";
    case Http1FramingError::te_chunked_twice:
      return "its Transfer-Encoding names chunked more than once";
    case Http1FramingError::te_unsupported:
      return "its Transfer-Encoding uses a coding other than chunked, which relay does not "
             "decode; send the body with Transfer-Encoding: chunked or Content-Length only";
    case Http1FramingError::te_in_http10:
      return "it is HTTP/1.0 with a Transfer-Encoding, which HTTP/1.0 does not have";
    case Http1FramingError::te_with_length:
      return "it has both Transfer-Encoding and Content-Length; send only one";
    case Http1FramingError::length_invalid:
      return "its Content-Length is not a decimal number";
    case Http1FramingError::length_mismatch:
      return "it has several Content-Length values that differ";
  }
  return {};
}

bool Http1Framing::agrees_with(bool parser_chunked,
                               std::optional<std::uint64_t> parser_length) const {
  switch (body) {
    case Http1Body::chunked:
      return parser_chunked;
    case Http1Body::content_length:
      return !parser_chunked && parser_length == content_length;
    case Http1Body::none:
    case Http1Body::until_close:
      return !parser_chunked && !parser_length.has_value();
  }
  return false;
}

void Http1FramingCheck::add(std::string_view name, std::string_view value) {
  if (core::iequals(name, "transfer-encoding")) {
    add_codings(value);
  } else if (core::iequals(name, "content-length")) {
    add_lengths(value);
  }
}

void Http1FramingCheck::add_codings(std::string_view value) {
  // Several Transfer-Encoding fields form one list (RFC 9110 §5.3), in order.
  has_te_ = true;
  for_each_element(value, [&](std::string_view coding) {
    if (coding.empty()) return;  // list syntax allows empty elements ("a, , b")
    for (char c : coding) {
      // A parameter (';') or anything else: chunked has no parameters, and what Beast cannot
      // read as a plain token it reads differently from a proxy in front of the edge.
      if (!core::is_tchar(c) && error_ == Http1FramingError::none)
        error_ = Http1FramingError::te_invalid;
    }
    ++codings_;
    last_is_chunked_ = core::iequals(coding, "chunked");
    if (last_is_chunked_) ++chunked_;
  });
}

void Http1FramingCheck::add_lengths(std::string_view value) {
  // "5", and also "5, 5" or a repeated field: one length sent twice (RFC 9110 §8.6 lets a
  // recipient take it as one). Differing values are ambiguous and refused.
  for_each_element(value, [&](std::string_view text) {
    std::uint64_t n = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, n);
    if (text.empty() || ec != std::errc{} || ptr != end) {
      if (error_ == Http1FramingError::none) error_ = Http1FramingError::length_invalid;
      return;
    }
    if (has_length_ && n != length_ && error_ == Http1FramingError::none) {
      error_ = Http1FramingError::length_mismatch;
    }
    has_length_ = true;
    length_ = n;
  });
}

Http1Framing Http1FramingCheck::result(bool is_request, unsigned version) const {
  Http1Framing out;
  out.error = error_;
  if (has_te_) {
    if (out.ok() && codings_ == 0) out.error = Http1FramingError::te_invalid;
    if (out.ok() && !last_is_chunked_) out.error = Http1FramingError::te_not_chunked;
    if (out.ok() && chunked_ > 1) out.error = Http1FramingError::te_chunked_twice;
    if (out.ok() && version < 11) out.error = Http1FramingError::te_in_http10;
    if (out.ok() && has_length_) out.error = Http1FramingError::te_with_length;
    if (out.ok() && codings_ > 1) out.error = Http1FramingError::te_unsupported;
    out.body = Http1Body::chunked;
  } else if (has_length_) {
    out.body = Http1Body::content_length;
    out.content_length = length_;
  } else {
    out.body = is_request ? Http1Body::none : Http1Body::until_close;
  }
  return out;
}

}  // namespace relay::net
