#pragma once

// HmacVerifier's decisions, each a pure function of the spec and the request, so
// tests/unit/verify checks them one by one: which header fields carry signatures, how a
// signature list parses, which timestamp is signed and whether it parses, what string is signed,
// and what the user is told when a signature does not match.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/headers.hpp"
#include "relay/core/request_view.hpp"
#include "relay/verify/hmac_spec.hpp"
#include "relay/verify/verdict.hpp"

namespace relay::verify::detail {

// The values of every field carrying the spec's signatures: `header` (or header1, header2, ...
// when numbered) and `alt_header`, in request order.
std::vector<std::string_view> signature_header_values(const core::Headers& headers,
                                                      const HmacSpec& spec);

// The signature header's name for messages ("x-sig", "x-sig-1" when numbered: the first).
std::string signature_header_label(const HmacSpec& spec);

// The expected shape of the signature header, for a malformed one's message.
std::string describe_signature_format(const HmacSpec& spec);

struct Signatures {
  std::vector<std::string_view> candidates;   // each signature to compare, prefix removed
  std::optional<std::string_view> timestamp;  // key_value lists: the timestamp element
};

// The signatures in those values, read as the spec's list format says. Items without the
// prefix, or empty, are not candidates.
Signatures parse_signature_values(const std::vector<std::string_view>& values,
                                  const HmacSpec& spec);

struct SignedTimestamp {
  std::string_view text;                     // as it goes into the signed string (trimmed)
  std::optional<std::int64_t> unix_seconds;  // to check against the tolerance; none: no check
  std::optional<Verdict> rejection;          // required by the spec but missing or malformed
};

// The timestamp the sender signed: from its own header when the spec names one, else the
// signature list's element (`from_list`). Specs without a timestamp format are not checked.
SignedTimestamp read_signed_timestamp(const HmacSpec& spec, const core::Headers& headers,
                                      std::optional<std::string_view> from_list,
                                      std::string_view header_label);

// The string the sender signed: `signed_template` with {body} {timestamp} {id} {url} {method}
// filled in; any other {text} is literal.
std::string signed_payload(std::string_view signed_template, const core::RequestView& request,
                           std::string_view timestamp, std::string_view id);

// The message for a signature that matches none of the `candidates`.
std::string mismatch_reason(std::size_t candidates, std::string_view header_label);

// The idempotency key reported in the Verdict: the spec's event id header, else the signed id.
std::optional<std::string> event_id_of(const HmacSpec& spec, const core::Headers& headers,
                                       std::optional<std::string_view> signed_id);

}  // namespace relay::verify::detail
