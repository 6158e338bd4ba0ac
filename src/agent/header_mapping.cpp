#include "agent/header_mapping.hpp"

#include <algorithm>
#include <cctype>

#include "relay/agent/upstream_address.hpp"
#include "relay/core/error_page.hpp"
#include "relay/core/host_port.hpp"
#include "relay/core/token_list.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::agent {

namespace {

namespace protocol = net::protocol;

bool listed(const std::vector<std::string>& names, std::string_view lower) {
  return std::find(names.begin(), names.end(), lower) != names.end();
}

// Two memchr scans: find_first_of("\r\n") calls memchr once per byte of `v`.
bool safe_value(std::string_view v) {
  return v.find('\n') == std::string_view::npos && v.find('\r') == std::string_view::npos;
}

// HTTP/2 field names arrive in lower case (nghttp2 rejects others); names from a replayed
// request may not, so only those are copied.
std::string_view lower_name(std::string_view name, std::string& scratch) {
  if (std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return name;
  }
  scratch = core::to_lower(name);
  return scratch;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

bool starts_with_relay(std::string_view lower) { return lower.starts_with("relay-"); }

// The relay-* fields the app gets: the request id (to match its logs with relay's) and a queued
// delivery's id, received-at and attempt (to deduplicate and judge freshness). The edge strips
// all of them from public requests, so they are relay's.
bool passed_to_app(std::string_view lower) {
  return lower == protocol::kRequestIdHeader || lower == protocol::kDeliveryIdHeader ||
         lower == protocol::kReceivedAtHeader || lower == protocol::kDeliveryAttemptHeader;
}

// A Forwarded parameter value (RFC 7239 §4): a token as is, anything else quoted.
void append_forwarded_param(std::string& out, std::string_view name, std::string_view value) {
  constexpr std::string_view kTokenSpecials = "!#$%&'*+-.^_`|~";
  const bool token = !value.empty() && std::all_of(value.begin(), value.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           kTokenSpecials.find(c) != std::string_view::npos;
  });
  if (!out.empty()) out += ';';
  out.append(name).append("=");
  if (token) {
    out.append(value);
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

// Forwarded: for=203.0.113.9;host=...;proto=https. An IPv6 address goes in brackets, quoted.
std::string forwarded_value(std::string_view client, std::string_view scheme,
                            std::string_view authority) {
  std::string out;
  if (!client.empty()) {
    append_forwarded_param(out, "for",
                           client.find(':') != std::string_view::npos
                               ? "[" + std::string(client) + "]"
                               : std::string(client));
  }
  if (!authority.empty() && safe_value(authority)) append_forwarded_param(out, "host", authority);
  if (!scheme.empty() && safe_value(scheme)) append_forwarded_param(out, "proto", scheme);
  return out;
}

}  // namespace

UpstreamRequestHead map_request(const core::Headers& in, const RequestMappingOptions& options) {
  UpstreamRequestHead head;
  head.method = std::string(in.get(":method").value_or("GET"));
  head.path = std::string(in.get(":path").value_or("/"));
  if (head.path.empty()) head.path = "/";
  const auto authority = in.get(":authority").value_or(in.get("host").value_or(""));
  const auto scheme = in.get(":scheme").value_or("http");

  std::string host;
  if (options.host_header.empty()) {
    host = std::string(authority);
  } else if (options.host_header == "rewrite") {
    host = options.upstream ? options.upstream->host_port() : std::string(authority);
  } else {
    host = std::string(options.host_header);
  }
  if (host.empty() && options.upstream) host = options.upstream->host_port();

  const auto connection = in.get_all("connection");  // its items are hop-by-hop too
  std::vector<std::string> removed;
  if (options.remove) {
    for (const auto& r : *options.remove) removed.push_back(core::to_lower(r));
  }

  std::string& out = head.text;
  out.reserve(512);
  out.append(head.method).append(" ").append(head.path).append(" HTTP/1.1\r\n");
  append_field(out, "Host", host);

  std::string cookies;
  bool has_length = false;
  std::string scratch;
  for (const auto& f : in) {
    if (f.name.empty() || f.name.front() == ':') continue;
    const auto lower = lower_name(f.name, scratch);
    if (!safe_value(f.value) || !safe_value(f.name)) continue;  // never inject a line
    if (protocol::is_hop_by_hop(lower) || core::lists_have_token(connection, lower) ||
        lower == "host" || lower == "expect" || lower == "http2-settings" ||
        listed(removed, lower)) {
      continue;
    }
    if (starts_with_relay(lower) && !passed_to_app(lower)) continue;
    // Ours win: the edge decided the client address (relay-remote-addr), a caller's own
    // values would let it claim any address.
    if (lower == "x-forwarded-proto" || lower == "x-forwarded-host" || lower == "x-forwarded-for" ||
        lower == "x-real-ip" || lower == "forwarded") {
      continue;
    }
    if (lower == "cookie") {
      if (!cookies.empty()) cookies += "; ";
      cookies += f.value;
      continue;
    }
    if (lower == "content-length") {
      if (has_length) continue;  // HTTP/2 already checked that repeated values agree
      has_length = true;
    }
    append_field(out, f.name, f.value);
  }
  if (!cookies.empty()) append_field(out, "Cookie", cookies);
  std::string_view client;
  if (auto remote = in.get(protocol::kRemoteAddrHeader); remote && safe_value(*remote)) {
    client = core::address_without_port(*remote);
  }
  if (!client.empty()) {
    append_field(out, "X-Forwarded-For", client);
    append_field(out, "X-Real-IP", client);
  }
  if (safe_value(scheme)) append_field(out, "X-Forwarded-Proto", scheme);
  if (!authority.empty() && safe_value(authority)) append_field(out, "X-Forwarded-Host", authority);
  if (auto forwarded = forwarded_value(client, scheme, authority); !forwarded.empty()) {
    append_field(out, "Forwarded", forwarded);
  }
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

core::Headers map_response_headers(const core::Headers& in) {
  const auto connection = in.get_all("connection");  // its items are hop-by-hop too
  core::Headers out;
  out.reserve(in.size());
  std::string scratch;
  bool has_length = false;
  for (const auto& f : in) {
    auto lower = lower_name(f.name, scratch);
    if (protocol::is_hop_by_hop(lower) || core::lists_have_token(connection, lower) ||
        lower == core::kRelayErrorCodeHeader || lower.empty() || lower.front() == ':') {
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
      out.add(std::string(lower), std::string(value));
      continue;
    }
    out.add(std::string(lower), f.value);
  }
  return out;
}

}  // namespace relay::agent
