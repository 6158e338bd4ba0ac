#pragma once

// The small synchronous HTTP/1.1 client behind `relay webhook send`: one request, one response,
// plain http or https (system trust store). A CLI tool runs no io loop, so blocking is fine here.
#include <chrono>
#include <string>

#include "relay/core/headers.hpp"

namespace relay::cli {

struct SimpleResponse {
  int status = 0;
  std::string reason;
  core::Headers headers;
  std::string body;
};

// Throws std::runtime_error with a message for the user (bad URL, refused, TLS, timeout).
SimpleResponse send_http_request(const std::string& method, const std::string& url,
                                 const core::Headers& headers, const std::string& body,
                                 bool insecure, std::chrono::seconds timeout);

}  // namespace relay::cli
