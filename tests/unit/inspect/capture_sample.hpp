#pragma once

// A finished webhook capture for the capture store and record tests.

#include <string>

#include "relay/inspect/capture.hpp"

namespace relay::inspect::testing {

inline Capture make_capture(std::string id, std::string tunnel = "web", std::string body = "{}") {
  Capture c;
  c.id = std::move(id);
  c.tunnel = std::move(tunnel);
  c.start = core::Clock::now();
  c.method = "POST";
  c.url = "/hook";
  c.request_headers.add("content-type", "application/json");
  c.request_body.assign(body, 1 << 20);
  c.status = 200;
  c.response_body.assign("ok", 1 << 20);
  return c;
}

}  // namespace relay::inspect::testing
