#include "inspect/api_types.hpp"

#include "relay/inspect/error.hpp"

namespace relay::inspect::detail {

ApiResponse json_response(int status, const nlohmann::json& body) {
  ApiResponse r;
  r.status = status;
  // Replace, not throw, on invalid UTF-8 in captured headers or bodies' text.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

ApiResponse no_content() {
  ApiResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

ApiResponse error_response(int status, std::string_view code, std::string_view message) {
  return json_response(status, {{"error_code", code},
                                {"status_code", status},
                                {"msg", message},
                                {"details", {{"err", message}}}});
}

ApiResponse error_response(const boost::system::error_code& ec) {
  std::string code =
      ec.category() == inspect_category()
          ? "ERR_RELAY_INSPECT_" + std::to_string(ec.value())
          : "ERR_RELAY_" + std::string{ec.category().name()} + "_" + std::to_string(ec.value());
  return error_response(http_status(ec), code, ec.message());
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else if (plus_is_space && text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

Target parse_target(std::string_view target) {
  Target t;
  const auto q = target.find('?');
  t.path = percent_decode(target.substr(0, q));
  if (q == std::string_view::npos) return t;
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    t.query[percent_decode(pair.substr(0, eq), true)] =
        eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1), true);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return t;
}

}  // namespace relay::inspect::detail
