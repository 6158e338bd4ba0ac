#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "relay/core/headers.hpp"

namespace relay::agent {

struct UpstreamAddress;

// How a forwarded request's body is framed on the HTTP/1.1 connection to the app.
enum class BodyFraming { none, content_length, chunked };

struct RequestMappingOptions {
  const UpstreamAddress* upstream = nullptr;
  std::string_view
      host_header;  // "": keep the public host; "rewrite": upstream host:port; else literal
  bool body_follows = false;  // the HTTP/2 request did not end with its headers
  // The fields came through nghttp2's HTTP messaging checks (a request from the edge, not a
  // replay's or re-signed fields): names in lower case and of token characters, no value with a
  // CR, LF or NUL (RFC 9113 §8.2.1; nghttp2 resets the stream or drops the field otherwise).
  // map_request then does not check each name and value again.
  bool fields_validated = false;
  const std::vector<std::pair<std::string, std::string>>* add = nullptr;
  const std::vector<std::string>* remove = nullptr;
};

struct UpstreamRequestHead {
  std::string text;  // "POST /hook HTTP/1.1\r\n...\r\n\r\n"
  BodyFraming framing = BodyFraming::none;
  std::string method;
  std::string path;
};

// The request's fields the agent reads for itself, picked out in one pass (a Headers::get each
// would be a pass each); each is the first of its name, in any case, as Headers::get finds it.
// Views into the headers given.
struct RequestFacts {
  std::optional<std::string_view> method;
  std::optional<std::string_view> path;
  std::optional<std::string_view> authority;
  std::optional<std::string_view> host;
  std::optional<std::string_view> scheme;
  std::optional<std::string_view> request_id;      // relay-request-id
  std::optional<std::string_view> remote_addr;     // relay-remote-addr
  std::optional<std::string_view> delivery_id;     // relay-delivery-id: a queued delivery
  std::optional<std::string_view> content_length;  // its text
  std::vector<std::string_view> connection;  // every Connection value: its items are hop-by-hop

  // :authority, else Host, else "".
  [[nodiscard]] std::string_view authority_or_host() const {
    return authority.value_or(host.value_or(""));
  }
};
RequestFacts request_facts(const core::Headers& request);

// The HTTP/1.1 request the app receives for one HTTP/2 request from the edge (pure):
// - pseudo-headers become the request line and Host (kept, rewritten, or a literal);
// - hop-by-hop fields (and those named by Connection), Expect and the edge's relay-* fields are
//   dropped, except relay-request-id, which is kept so app logs can be matched with relay's, and
//   a queued delivery's relay-delivery-id, relay-received-at and relay-delivery-attempt;
// - X-Forwarded-For, X-Real-IP and Forwarded (for=, host=, proto=) are set from
//   relay-remote-addr (the client address the edge decided), :authority and :scheme, as are
//   X-Forwarded-Proto and X-Forwarded-Host; a caller's own values of all five are dropped;
// - split Cookie fields are joined again (RFC 9113 §8.2.3);
// - the body is framed by the caller's Content-Length, or chunked when its length is unknown.
UpstreamRequestHead map_request(const core::Headers& h2_request,
                                const RequestMappingOptions& options);
// The same, with `facts` found before: request_facts(h2_request), or values equal to what
// map_request reads of it (the request line, :authority or Host, :scheme, relay-remote-addr,
// Connection).
UpstreamRequestHead map_request(const core::Headers& h2_request, const RequestFacts& facts,
                                const RequestMappingOptions& options);

// One field of a parsed message, viewed where the parser keeps it (names in any case).
struct FieldView {
  std::string_view name;
  std::string_view value;
};

// The response fields relay passes back (pure): lower-case names (HTTP/2), without hop-by-hop
// fields, the fields named by Connection, or a relay-error-code the app tried to set. Read from
// views of the parser's fields: each kept field is copied once, into the result.
core::Headers map_response_headers(std::span<const FieldView> upstream_response);
core::Headers map_response_headers(const core::Headers& upstream_response);

}  // namespace relay::agent
