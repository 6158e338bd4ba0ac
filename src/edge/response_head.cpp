#include "edge/response_head.hpp"

#include <array>
#include <charconv>

#include <fmt/format.h>

#include "relay/core/error_page.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {

ResponsePlan plan_response(int status, const core::Headers& headers, bool head_request,
                           unsigned http_version, bool keep_alive) {
  ResponsePlan plan;
  plan.keep_alive = keep_alive;
  if (head_request || status == 204 || status == 304 || (status >= 100 && status < 200)) {
    plan.framing = Framing::none;
  } else if (headers.contains("content-length")) {
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
  std::string out;
  out.reserve(256);
  // Appended piece by piece: fmt parsing a format string per response cost ~900 instructions.
  auto reason = core::reason_phrase(status);
  std::array<char, 16> digits{};
  char* end = std::to_chars(digits.data(), digits.data() + digits.size(), status).ptr;
  out += "HTTP/1.1 ";
  out.append(digits.data(), end);
  out += ' ';
  out += reason.empty() ? "Unknown" : reason;
  out += "\r\n";
  for (const auto& f : headers) {
    if (f.name.empty() || f.name.front() == ':' || net::protocol::is_hop_by_hop(f.name)) continue;
    out += f.name;
    out += ": ";
    out += f.value;
    out += "\r\n";
  }
  if (plan.framing == Framing::chunked) out += "transfer-encoding: chunked\r\n";
  if (!plan.keep_alive) {
    out += "connection: close\r\n";
  } else if (http_version < 11) {
    out += "connection: keep-alive\r\n";
  }
  out += "\r\n";
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
