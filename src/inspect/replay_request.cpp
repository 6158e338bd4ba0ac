#include <algorithm>
#include <string>
#include <string_view>

#include "relay/core/token_chars.hpp"
#include "relay/inspect/error.hpp"
#include "relay/inspect/replayer.hpp"

namespace relay::inspect {

namespace {

// A token (RFC 9110 §5.6.2): one or more tchar.
bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), core::is_tchar);
}

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

// The first character that would end the field value early or inject a line.
bool is_safe_value(std::string_view v) {
  return v.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string header_error(std::string_view name, std::string_view value) {
  if (!is_token(name)) {
    return "header name \"" + std::string(name) +
           "\" is not a token: use letters, digits and !#$%&'*+-.^_`|~ only";
  }
  if (!is_safe_value(value)) {
    return "the value of header \"" + std::string(name) +
           "\" contains CR, LF or NUL, which would end the header early";
  }
  return {};
}

}  // namespace

std::string modifications_error(const ReplayModifications& mods) {
  if (mods.method && !is_token(*mods.method)) {
    return "\"method\" must be an HTTP method token such as POST (letters, digits and "
           "!#$%&'*+-.^_`|~; no spaces or control characters)";
  }
  if (mods.path) {
    if (std::any_of(mods.path->begin(), mods.path->end(),
                    [](char c) { return c == ' ' || is_control(c); })) {
      return "\"path\" may not contain spaces or control characters (CR, LF, NUL...); "
             "percent-encode them, e.g. %20";
    }
  }
  if (mods.headers) {
    for (const auto& f : *mods.headers) {
      if (auto why = header_error(f.name, f.value); !why.empty()) return "\"headers\": " + why;
    }
  }
  for (const auto& [name, value] : mods.set_headers) {
    if (auto why = header_error(name, value); !why.empty()) return "\"set_headers\": " + why;
  }
  return {};
}

core::Result<ReplayRequest> apply_modifications(const Capture& capture,
                                                const ReplayModifications& mods) {
  if (!modifications_error(mods).empty()) return Errc::invalid_modifications;
  if (!mods.body && capture.request_body.truncated) return Errc::capture_truncated;
  ReplayRequest out;
  out.tunnel = mods.tunnel.empty() ? capture.tunnel : mods.tunnel;
  out.method = mods.method.value_or(capture.method);
  out.url = mods.path.value_or(capture.url);
  if (!out.url.empty() && out.url.front() != '/') out.url.insert(0, 1, '/');
  out.headers = mods.headers.value_or(capture.request_headers);
  for (const auto& [name, value] : mods.set_headers) out.headers.set(name, value);
  for (const auto& name : mods.remove_headers) out.headers.erase(name);
  out.body = mods.body.value_or(capture.request_body.data);
  // The pipeline frames the body it sends; a stale length would corrupt a modified request.
  if (mods.body) {
    out.headers.erase("content-length");
    out.headers.erase("transfer-encoding");
  }
  out.resign = mods.resign;
  return out;
}

}  // namespace relay::inspect
