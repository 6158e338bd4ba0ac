#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "relay/core/error_page.hpp"
#include "relay/core/headers.hpp"

namespace relay::edge {

// How the body of an HTTP/1.x response is delimited on the public connection.
enum class Framing { none, content_length, chunked, close_delimited };

struct ResponsePlan {
  Framing framing = Framing::none;
  bool keep_alive = true;
};

// What the edge reads of the agent's response head, found in one walk over its fields
// (Headers::get walks them once per name asked).
struct ResponseFields {
  bool has_content_length = false;
  std::optional<std::uint64_t> content_length;  // the first, when it is a plain number
  std::optional<std::string_view> error_code;   // relay-error-code: the agent answered itself
};
ResponseFields read_response_fields(const core::Headers& h2_headers);

// Chooses the framing from the agent's response (HTTP/2 header block with ":status"), the
// request method and the public request's HTTP version. Pure.
ResponsePlan plan_response(int status, const core::Headers& h2_headers, bool head_request,
                           unsigned http_version, bool keep_alive);
// The same from the response's fields as read_response_fields found them.
ResponsePlan plan_response(int status, const ResponseFields& fields, bool head_request,
                           unsigned http_version, bool keep_alive);

// The HTTP/1.1 status line and fields for that plan: pseudo-headers and hop-by-hop fields
// dropped, Transfer-Encoding/Connection set to match. Ends with the blank line.
std::string render_response_head(int status, const core::Headers& h2_headers,
                                 const ResponsePlan& plan, unsigned http_version);

// One chunk of a chunked body ("<hex>\r\n<data>\r\n"), appended to `out`.
void append_chunk(std::string& out, std::string_view data);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// One piece of the app's body appended to `out` as `framing` delimits it; an empty `data` is the
// end of the body (chunked: the last chunk; the other framings need no marker).
void append_body(std::string& out, std::string_view data, Framing framing);

}  // namespace relay::edge

namespace relay::edge {

// A complete HTTP/1.1 response for an error relay itself generates: the page (HTML, JSON or
// text after `accept`), its relay-error-code header, and Connection: close unless `keep_alive`.
std::string render_error_response(const core::ErrorPage& page, std::string_view accept,
                                  bool keep_alive, bool head_request);

}  // namespace relay::edge
