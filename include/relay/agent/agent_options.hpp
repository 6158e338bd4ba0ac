#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "relay/core/buffer_policy.hpp"

namespace relay::agent {

struct WebhookVerification {
  std::string provider;  // a name from `relay providers`
  std::string secret;    // resolved already (env:/file: expanded by config)
  std::optional<std::chrono::seconds> tolerance;  // default: the provider's
  bool enforce = true;  // false: log and capture the verdict, deliver anyway
  // Provider settings: the generic `hmac`'s header/algorithm/..., Meta's verify_token.
  std::map<std::string, std::string> params;
};

struct BasicAuth {
  std::string user;
  std::string password;
};

struct TunnelOptions {
  std::string name;  // local name (config key); for `relay http` the requested name or "http"
  std::string proto = "http";
  std::string addr;         // upstream: "3000", "host:port", "http://…", "https://…"
  std::string url;          // requested public name or URL; empty: random
  std::string host_header;  // empty: keep; "rewrite": the upstream's host; else this value
  std::optional<WebhookVerification> verify_webhook;
  std::optional<BasicAuth> basic_auth;
  std::vector<std::pair<std::string, std::string>> request_header_add;
  std::vector<std::string> request_header_remove;
  bool upstream_tls_verify = false;  // https upstreams are usually self-signed dev servers
  // Durable delivery (docs/delivery.md): sent to the edge in connect and bind; unset = off.
  std::optional<core::BufferPolicy> buffer;
  // Re-sign a queued delivery at delivery time after its signature verified at received-at
  // (for apps that check freshness themselves). Agent-side only: the edge never sees it.
  bool buffer_resign = false;
  // IP rules, enforced at the edge (--cidr-allow / --cidr-deny, relay.yml ip_allow / ip_deny).
  std::vector<std::string> ip_allow;
  std::vector<std::string> ip_deny;
};

struct AgentLimits {
  std::size_t max_verified_body_bytes = 10 * 1024 * 1024;  // verified bodies are buffered → 413
  std::chrono::seconds upstream_connect_timeout{10};
  std::chrono::seconds upstream_response_timeout{60};  // → 504
  std::size_t upstream_pool_size = 64;                 // idle keep-alive connections kept
};

struct AgentOptions {
  // "host:port" of the edges' agent listeners (--edge, repeatable; relay.yml edge/edges).
  std::vector<std::string> edges;
  // High availability (docs/cluster.md): sessions held at once, link i to edges[i % n] (and
  // to the (i / n)-th address the name resolves to). 0: 2 with two or more edges, else 1.
  std::size_t ha_connections = 0;
  std::string authtoken;        // never logged
  std::string edge_ca_file;     // trust this CA instead of the system store
  std::string edge_pinned_pem;  // embedded edge: trust exactly this certificate
  bool edge_insecure = false;   // tests only
  std::vector<TunnelOptions> tunnels;
  std::string inspect_addr = "127.0.0.1:4040";  // empty: no inspector
  std::size_t capture_body_bytes = 64 * 1024;
  // captures database; empty: $RELAY_STATE_DIR, else $XDG_STATE_HOME/relay, else
  // ~/.local/state/relay
  std::string state_dir;
  std::string version;  // shown by the inspector (GET /api/status, the console)
  std::chrono::milliseconds ping_interval{10'000};
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{30'000};
  AgentLimits limits;
};

}  // namespace relay::agent
