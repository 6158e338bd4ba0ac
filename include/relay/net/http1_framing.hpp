#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace relay::net {

// How an HTTP/1.x message's body is delimited (RFC 9112 §6), judged from its Transfer-Encoding
// and Content-Length fields before any body byte is read. Both hops that parse HTTP/1 use it:
// the edge on the public request, the agent on the app's response.
//
// Beast's parser has its own, laxer reading: a Transfer-Encoding whose final coding is not
// `chunked` ("chunked, gzip", "xchunked") gives a request no body at all, so the bytes of the
// body were read as a second request (request smuggling). This check refuses every head whose
// framing two parsers could read differently.
enum class Http1Body {
  none,            // a request with neither field
  content_length,  // Content-Length (one value, possibly repeated identically)
  chunked,         // Transfer-Encoding: chunked (the only coding relay decodes)
  until_close,     // a response with neither field: the body runs to the end of the connection
};

enum class Http1FramingError {
  none,
  te_invalid,        // empty list, a parameter, or a character that is not a token
  te_not_chunked,    // the final coding is not chunked (RFC 9112 §6.3 rule 4: 400 and close)
  te_chunked_twice,  // chunked applied more than once (RFC 9112 §7)
  te_unsupported,    // chunked is final but another coding precedes it: relay cannot decode it
  te_in_http10,      // HTTP/1.0 has no Transfer-Encoding (RFC 9112 §6.1: faulty framing)
  te_with_length,    // both fields: relay refuses instead of letting TE win (RFC 9112 §6.3 rule 3)
  length_invalid,    // Content-Length is not a list of decimal numbers
  length_mismatch,   // Content-Length values differ
};

struct Http1Framing {
  Http1Body body = Http1Body::none;
  std::uint64_t content_length = 0;  // when body == content_length
  Http1FramingError error = Http1FramingError::none;

  [[nodiscard]] bool ok() const { return error == Http1FramingError::none; }
  // The status a server answers a request with this error: 501 for a coding relay does not
  // implement (RFC 9112 §6.1), 400 for everything else. 0 when ok.
  [[nodiscard]] int request_status() const;
  // What is wrong, for an error page or a log line ("its Transfer-Encoding does not end...").
  [[nodiscard]] std::string_view reason() const;
  // Whether the parser that will read the body (Beast: its chunked() and content_length()) found
  // the same framing. Belt and braces: a difference would let body bytes become a message.
  [[nodiscard]] bool agrees_with(bool parser_chunked,
                                 std::optional<std::uint64_t> parser_length) const;
};

// Fed every field of one head in order (names in any case); pure and allocation-free.
class Http1FramingCheck {
 public:
  void add(std::string_view name, std::string_view value);
  // The same for a caller that knows the field by its name already (an enum of the parser):
  // matching the name again was ~130 instructions per request at the edge.
  void add_codings(std::string_view value);  // a Transfer-Encoding value
  void add_lengths(std::string_view value);  // a Content-Length value
  [[nodiscard]] Http1Framing result(bool is_request, unsigned version) const;

 private:
  Http1FramingError error_ = Http1FramingError::none;  // the first malformed value seen
  bool has_te_ = false;
  int codings_ = 0;
  int chunked_ = 0;
  bool last_is_chunked_ = false;
  bool has_length_ = false;
  std::uint64_t length_ = 0;
};

}  // namespace relay::net
