#include "edge/response_head.hpp"

#include <array>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "relay/core/content_length.hpp"
#include "relay/core/error_page.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {

ResponseFields read_response_fields(const core::Headers& headers) {
  ResponseFields fields;
  for (const auto& f : headers) {
    if (!fields.has_content_length && core::iequals(f.name, "content-length")) {
      fields.has_content_length = true;
      fields.content_length = core::parse_content_length(f.value);  // as Headers reads it
    } else if (!fields.error_code && core::iequals(f.name, core::kRelayErrorCodeHeader)) {
      fields.error_code = f.value;
    }
  }
  return fields;
}

ResponsePlan plan_response(int status, const core::Headers& headers, bool head_request,
                           unsigned http_version, bool keep_alive) {
  return plan_response(status, read_response_fields(headers), head_request, http_version,
                       keep_alive);
}

ResponsePlan plan_response(int status, const ResponseFields& fields, bool head_request,
                           unsigned http_version, bool keep_alive) {
  ResponsePlan plan;
  plan.keep_alive = keep_alive;
  if (head_request || status == 204 || status == 304 || (status >= 100 && status < 200)) {
    plan.framing = Framing::none;
  } else if (fields.has_content_length) {
    plan.framing = Framing::content_length;
  } else if (http_version >= 11) {
    plan.framing = Framing::chunked;
  } else {
    plan.framing = Framing::close_delimited;  // HTTP/1.0 knows no chunked encoding
    plan.keep_alive = false;
  }
  return plan;
}

std::string render_response_head(int status, const core::Headers& headers, const ResponsePlan& plan,
                                 unsigned http_version) {
  // Measured first, then copied into place: appending piece by piece checked the capacity at
  // every piece (~600 instructions per response; fmt parsing a format string had cost ~900).
  auto reason = core::reason_phrase(status);
  if (reason.empty()) reason = "Unknown";
  std::array<char, 16> digits{};
  const std::string_view status_text(
      digits.data(),
      std::to_chars(digits.data(), digits.data() + digits.size(), status).ptr - digits.data());
  const std::string_view framing_field =
      plan.framing == Framing::chunked ? "transfer-encoding: chunked\r\n" : "";
  std::string_view connection_field;
  if (!plan.keep_alive) {
    connection_field = "connection: close\r\n";
  } else if (http_version < 11) {
    connection_field = "connection: keep-alive\r\n";
  }
  auto forwarded = [](const core::Headers::Field& f) {
    return !f.name.empty() && f.name.front() != ':' && !net::protocol::is_hop_by_hop(f.name);
  };
  constexpr std::string_view kVersion = "HTTP/1.1 ";
  std::size_t size = kVersion.size() + status_text.size() + 1 + reason.size() + 2 +
                     framing_field.size() + connection_field.size() + 2;
  for (const auto& f : headers) {
    if (forwarded(f)) size += f.name.size() + 2 + f.value.size() + 2;
  }
  std::string out;
  // Room behind the head for a small body: StreamProxy appends the first body bytes to it, to
  // send both in one write.
  out.reserve(size + 256);
  out.resize(size);
  char* at = out.data();
  auto put = [&at](std::string_view piece) {
    if (piece.empty()) return;  // an empty view's data() may be null: no memcpy from it
    std::memcpy(at, piece.data(), piece.size());
    at += piece.size();
  };
  auto put2 = [&at](char a, char b) {
    at[0] = a;
    at[1] = b;
    at += 2;
  };
  put(kVersion);
  put(status_text);
  *at++ = ' ';
  put(reason);
  put2('\r', '\n');
  for (const auto& f : headers) {
    if (!forwarded(f)) continue;
    put(f.name);
    put2(':', ' ');
    put(f.value);
    put2('\r', '\n');
  }
  put(framing_field);
  put(connection_field);
  put2('\r', '\n');
  return out;
}

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;  // an empty chunk would end the body
  fmt::format_to(std::back_inserter(out), "{:x}\r\n", data.size());
  out += data;
  out += "\r\n";
}

void append_body(std::string& out, std::string_view data, Framing framing) {
  if (framing != Framing::chunked) {
    out += data;
    return;
  }
  if (data.empty()) {
    out += kLastChunk;
    return;
  }
  append_chunk(out, data);
}

}  // namespace relay::edge

namespace relay::edge {

std::string render_error_response(const core::ErrorPage& page, std::string_view accept,
                                  bool keep_alive, bool head_request) {
  auto rendered = core::render_error_page(page, accept);
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\n{}: {}\r\ncache-control: "
      "no-store\r\n{}\r\n",
      page.status, core::reason_phrase(page.status), rendered.content_type, rendered.body.size(),
      core::kRelayErrorCodeHeader, page.code, keep_alive ? "" : "connection: close\r\n");
  if (!head_request) out += rendered.body;
  return out;
}

}  // namespace relay::edge
