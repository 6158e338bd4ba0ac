#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace relay::config::detail {

// Each returns nullopt when `text` is valid, else what was expected, for a diagnostic.
// The agent's parser decides: `3000`, `host:port`, `[::1]:3000`, `host`,
// `http(s)://host[:port][/]`.
std::optional<std::string> check_upstream_address(std::string_view text);
// `host:port`, `:port` or `[::1]:port` (a listener or the edge's agent address).
std::optional<std::string> check_host_port(std::string_view text);
// A tunnel name (`web`) or a URL whose first label is the name (`https://web.example.com`).
std::optional<std::string> check_tunnel_url(std::string_view text);

}  // namespace relay::config::detail
