#pragma once

#include <map>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>
#include <nlohmann/json.hpp>

#include "relay/core/headers.hpp"

namespace relay::inspect::detail {

// The inspector's HTTP exchange without Beast, so the API is a plain function of its input.
struct ApiRequest {
  std::string method;  // "GET"
  std::string target;  // "/api/requests/http?limit=5"
  core::Headers headers;
  std::string body;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  core::Headers headers;
  std::string body;
  bool event_stream = false;  // the session turns into a server-sent-events stream
};

ApiResponse json_response(int status, const nlohmann::json& body);
ApiResponse no_content();
// ngrok's error shape: {"error_code","status_code","msg","details":{"err"}}.
ApiResponse error_response(int status, std::string_view code, std::string_view message);
ApiResponse error_response(const boost::system::error_code& ec);

// "/a/b?x=1&y=%20" → path "/a/b", query {x: "1", y: " "}.
struct Target {
  std::string path;
  std::map<std::string, std::string, std::less<>> query;
};
Target parse_target(std::string_view target);
std::string percent_decode(std::string_view text, bool plus_is_space = false);

}  // namespace relay::inspect::detail
