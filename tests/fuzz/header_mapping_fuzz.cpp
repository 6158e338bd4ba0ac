// The agent's header mapping (src/agent/header_mapping.hpp) over any request and response fields
// (the edge's, a replay's, an app's): the HTTP/1.1 head never carries a line the fields smuggled
// in (CR/LF), request_facts finds what Headers::get finds, and the response fields relay passes
// back are lower case, hop-by-hop free, without relay-error-code and with at most one length.
//
// Input: a flags byte, then fields separated by 0x00, each "name 0x01 value" (no 0x01: a name
// with an empty value).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/header_mapping.hpp"
#include "relay/agent/upstream_address.hpp"
#include "relay/core/error_page.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace {

using relay::core::Headers;

// Calls `each(name, value)` for every field of the input, in order.
template <typename Each>
void for_each_field(std::string_view input, Each each) {
  while (!input.empty()) {
    const auto end = input.find('\0');
    const auto field = input.substr(0, end);
    const auto split = field.find('\1');
    each(field.substr(0, split),
         split == std::string_view::npos ? std::string_view() : field.substr(split + 1));
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
}

Headers read_fields(std::string_view input) {
  Headers fields;
  for_each_field(input,
                 [&](std::string_view name, std::string_view value) { fields.add(name, value); });
  return fields;
}

// Headers keeps every field as added (its one buffer grown many times over), and so do a copy
// and a moved-to Headers.
void check_fields_kept(std::string_view input, const Headers& fields) {
  const Headers copy = fields;
  Headers moved_from = copy;
  const Headers moved = std::move(moved_from);
  if (!moved_from.empty()) std::abort();  // NOLINT(bugprone-use-after-move): documented empty
  for (const Headers* h : {&fields, &copy, &moved}) {
    auto it = h->begin();
    std::size_t n = 0;
    for_each_field(input, [&](std::string_view name, std::string_view value) {
      if (it == h->end() || it->name != name || it->value != value) std::abort();
      ++it;
      ++n;
    });
    if (it != h->end() || n != h->size()) std::abort();
  }
}

void check_head(const relay::agent::UpstreamRequestHead& head) {
  // Every field line ends in CRLF, none holds a CR or LF of its own, and the head ends empty.
  // The request line is left out: :method and :path are checked before (nghttp2 for a stream
  // from the edge, inspect/replay_request for a replay), not here.
  const std::string_view text(head.text);
  const auto request_line = head.method + " " + head.path + " HTTP/1.1\r\n";
  if (!text.starts_with(request_line) || !text.ends_with("\r\n\r\n")) std::abort();
  auto rest = text.substr(request_line.size());
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    if (end == std::string_view::npos) std::abort();
    const auto line = rest.substr(0, end);
    if (line.find('\r') != std::string_view::npos || line.find('\n') != std::string_view::npos) {
      std::abort();
    }
    rest.remove_prefix(end + 2);
  }
}

void check_facts(const Headers& in) {
  namespace protocol = relay::net::protocol;
  const auto facts = relay::agent::request_facts(in);
  if (facts.method != in.get(":method") || facts.path != in.get(":path") ||
      facts.authority != in.get(":authority") || facts.host != in.get("host") ||
      facts.scheme != in.get(":scheme") || facts.request_id != in.get(protocol::kRequestIdHeader) ||
      facts.remote_addr != in.get(protocol::kRemoteAddrHeader) ||
      facts.delivery_id != in.get(protocol::kDeliveryIdHeader) ||
      facts.connection != in.get_all("connection")) {
    std::abort();
  }
}

void check_response(const Headers& in) {
  const auto out = relay::agent::map_response_headers(in);
  int lengths = 0;
  for (const auto& f : out) {
    if (f.name.empty() || f.name.front() == ':' || relay::net::protocol::is_hop_by_hop(f.name) ||
        f.name == relay::core::kRelayErrorCodeHeader || f.name != relay::core::to_lower(f.name)) {
      std::abort();
    }
    if (f.name == "content-length") ++lengths;
  }
  if (lengths > 1) std::abort();
}

// What nghttp2's HTTP messaging checks let through to a stream (RequestMappingOptions::
// fields_validated): names of lower-case token characters (pseudo-headers aside), values
// without CR, LF or NUL.
bool passes_nghttp2_checks(const Headers& in) {
  constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  auto token_char = [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           kTokenPunctuation.find(c) != std::string_view::npos;
  };
  for (const auto& f : in) {
    if (f.name.empty()) return false;
    if (f.name.front() != ':' && !std::all_of(f.name.begin(), f.name.end(), token_char)) {
      return false;
    }
    if (f.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto flags = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto fields = read_fields(input);
  check_fields_kept(input, fields);
  const relay::agent::UpstreamAddress upstream{false, "localhost", 3000};
  const std::vector<std::pair<std::string, std::string>> add{{"X-Added", "1"}};
  const std::vector<std::string> remove{"X-Removed"};
  relay::agent::RequestMappingOptions options{
      .upstream = &upstream,
      .host_header = (flags & 1) != 0 ? "rewrite" : ((flags & 2) != 0 ? "app.test" : ""),
      .body_follows = (flags & 4) != 0,
      .add = (flags & 8) != 0 ? &add : nullptr,
      .remove = (flags & 16) != 0 ? &remove : nullptr};
  const auto head = relay::agent::map_request(fields, options);
  check_head(head);
  // Fields nghttp2 let through map the same without map_request's own checks.
  if (passes_nghttp2_checks(fields)) {
    auto validated = options;
    validated.fields_validated = true;
    if (relay::agent::map_request(fields, validated).text != head.text) std::abort();
  }
  check_facts(fields);
  check_response(fields);
  return 0;
}
