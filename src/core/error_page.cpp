#include "relay/core/error_page.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace relay::core {

namespace {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

RenderedPage render_error_page(const ErrorPage& page, std::string_view accept) {
  bool wants_json = accept.find("application/json") != std::string_view::npos ||
                    accept.find("+json") != std::string_view::npos;
  bool wants_html = accept.find("text/html") != std::string_view::npos;
  if (wants_json || (!wants_html && accept.empty())) {
    nlohmann::json j = {{"error", {{"code", page.code}, {"status", page.status}, {"message", page.message}}}};
    return {"application/json", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
  }
  if (wants_html) {
    auto body = fmt::format(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{0} {1}</title>"
        "<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;color:#222}}"
        "code{{background:#f3f3f3;padding:.1em .3em}}</style></head><body>"
        "<h1>{0} {1}</h1><p>{2}</p><p><code>{3}</code> &middot; relay</p></body></html>\n",
        page.status, reason_phrase(page.status), html_escape(page.message), page.code);
    return {"text/html; charset=utf-8", std::move(body)};
  }
  return {"text/plain; charset=utf-8", fmt::format("{} {}: {} ({})\n", page.status,
                                                    reason_phrase(page.status), page.message, page.code)};
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

}  // namespace relay::core
