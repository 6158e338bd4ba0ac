#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "relay/core/failure.hpp"

namespace relay::agent {

// Where a tunnel delivers: the app on localhost (or anywhere the agent can reach).
struct UpstreamAddress {
  bool tls = false;  // https://
  std::string host;  // name or IP literal, without brackets
  std::uint16_t port = 0;

  [[nodiscard]] std::string_view scheme() const { return tls ? "https" : "http"; }
  // "localhost:3000", "[::1]:3000": what a Host header or a log line shows.
  [[nodiscard]] std::string host_port() const;
  // "http://localhost:3000"
  [[nodiscard]] std::string url() const;
};

// Accepts `3000`, `localhost:3000`, `127.0.0.1:3000`, `[::1]:3000`, `host` (port 80),
// `http://host[:port][/]`, `https://host[:port][/]`. The failure says what was wrong and how to
// write it.
core::Fallible<UpstreamAddress> parse_upstream_address(std::string_view text);

}  // namespace relay::agent
