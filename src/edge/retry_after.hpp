#pragma once

#include <string>

#include <fmt/format.h>

namespace relay::edge {

// Adds "retry-after: N" to a rendered response (after its status line): for the 429 and 503
// answers of the public-limits defences, so well-behaved clients back off instead of hammering.
inline void add_retry_after(std::string& response, int seconds) {
  const auto end_of_status_line = response.find("\r\n");
  if (end_of_status_line == std::string::npos || seconds <= 0) return;
  response.insert(end_of_status_line + 2, fmt::format("retry-after: {}\r\n", seconds));
}

}  // namespace relay::edge
