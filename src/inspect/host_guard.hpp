#pragma once

#include <string>
#include <string_view>

namespace relay::inspect::detail {

// The DNS-rebinding guard: true when a Host header names this machine's loopback
// (localhost, 127.0.0.0/8, [::1], with or without a port) or `bind_host`, the address the
// inspector was explicitly bound to. A page on evil.example that rebinds its name to 127.0.0.1
// still sends Host: evil.example, and is refused.
bool is_allowed_host(std::string_view host_header, std::string_view bind_host);

// For state-changing requests: an Origin header, when present, must be the inspector's own
// origin, http://<allowed host>:<port> with the port it is served on (80 when the Origin has
// none). Stops a page on another site, or on another local port (a dev server, another app on
// localhost), from POSTing replays or tunnels through the user's browser. "null" (sandboxed
// frames, file: pages) is refused. `port` 0: not known yet, any port.
bool is_allowed_origin(std::string_view origin, std::string_view bind_host, unsigned short port);

// "127.0.0.1:4040" → "127.0.0.1"; "[::1]:80" → "::1"; "localhost" → "localhost".
std::string host_without_port(std::string_view host);

}  // namespace relay::inspect::detail
