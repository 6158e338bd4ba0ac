#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace relay::edge {

// An authtoken the edge accepts, stored as its SHA-256 (hex), never in the clear.
struct AuthToken {
  std::string sha256_hex;
  std::string label;                        // shown in logs instead of the token
  std::vector<std::string> reserved_names;  // names only this token may bind (empty: none)
};

struct EdgeLimits {
  std::size_t max_header_bytes = 64 * 1024;    // request line + headers → 431 beyond
  std::size_t max_body_bytes = 0;              // 0: unlimited (bodies stream) → 413 beyond
  std::chrono::seconds header_timeout{15};     // slow-loris guard: whole head must arrive
  std::chrono::seconds idle_timeout{75};       // keep-alive connection with no request
  std::chrono::seconds response_timeout{120};  // agent gave no response head → 504
  std::size_t max_sessions = 10'000;
  std::size_t max_tunnels_per_session = 64;
  // sessions: failed authtokens per client address (docs/security.md). Beyond
  // `auth_failures_per_minute` (0: no limit) the address gets 429 with Retry-After for
  // `auth_failure_block`, doubling with each further block up to an hour.
  std::size_t auth_failures_per_minute = 10;
  std::chrono::seconds auth_failure_block{60};
  // public-limits: slow and greedy clients (docs/security.md). 0: no cap.
  std::size_t body_min_rate = 1024;               // bytes/s a request body must average → 408
  std::chrono::seconds body_rate_grace{10};       // ... after this much time reading it
  std::size_t max_connections_per_ip = 256;       // open public connections → 429
  std::size_t max_requests_per_ip = 128;          // requests in flight to agents → 429
  std::size_t max_streams_per_session = 0;        // 0: what the agent allows (its SETTINGS)
  std::chrono::seconds stream_wait{3};            // all streams busy: wait this long, then 503
  std::chrono::seconds handshake_timeout{10};     // TLS ports: first byte and handshake
  std::size_t max_pending_handshakes = 512;       // TLS ports, all together: beyond → closed
  std::size_t max_pending_handshakes_per_ip = 32;
  // durable delivery (accept): a buffered tunnel's request body is read whole, up to this; a
  // bigger one streams live when the agent is there and gets 413 when it is not (cannot queue).
  std::size_t buffer_max_body = 8 * 1024 * 1024;
};

// operations: acme. Certificates for the tunnel hosts from an ACME CA (RFC 8555), on demand,
// for owned names only (docs/deployment.md, "Automatic certificates (ACME)").
struct AcmeOptions {
  std::string email;  // non-empty: ACME on; the account's contact
  std::string directory = "https://acme-v02.api.letsencrypt.org/directory";
  std::string ca_file;               // trust only this CA for the directory (tests: pebble)
  std::size_t orders_per_hour = 10;  // new orders, all hosts together; 0: none
  std::chrono::hours renew_before{30 * 24};
  std::chrono::seconds renew_check{3600};     // how often stored certificates are checked
  std::chrono::seconds failure_backoff{600};  // per host, after a failed order
  // "http-01" or "tls-alpn-01"; empty: http-01 when the edge has a plain HTTP listener (the
  // CA's port 80), else tls-alpn-01 (its port 443, --listen-tls).
  std::string challenge;
};

// cluster: redis (issue 12, docs/cluster.md). Several edges share name ownership and the
// session directory in one Redis. Empty redis_url: a single edge, nothing changes.
struct ClusterOptions {
  std::string redis_url;       // redis://[:PASSWORD@]HOST:PORT/DB, validated by the CLI
  std::string redis_password;  // resolved (the URL's env:NAME / file:PATH read already)
  std::string edge_id;         // this edge's name in Redis keys (default: the hostname)
  std::string secret;          // resolved; authenticates edges to each other (peer link)
  std::chrono::milliseconds route_ttl{15'000};  // a dead edge's route keys expire after this
  std::chrono::milliseconds heartbeat{5'000};   // how often a live edge renews them
  // cluster: peer link (docs/cluster.d/peer-link.md)
  std::string peer_listen;     // HOST:PORT of the peer port; empty: no peer link
  std::string peer_advertise;  // what other edges dial (checked by the CLI; default peer_listen)
  std::chrono::milliseconds route_cache_ttl{1'000};  // edges_for answers reused this long
  [[nodiscard]] bool enabled() const { return !redis_url.empty(); }
};

struct EdgeOptions {
  std::vector<std::string> listen;      // public HTTP listeners, "host:port"
  std::vector<std::string> listen_tls;  // public HTTPS listeners (same certificate)
  std::string agent_listen = "0.0.0.0:4443";
  std::string domain = "localhost";  // tunnels are <name>.<domain>
  // Port shown in public URLs; 0: the port of the first listener (omitted when 80/443).
  unsigned short public_port = 0;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_cert_pem;  // in-memory alternative to the files (embedded edge)
  std::string tls_key_pem;
  std::vector<AuthToken> authtokens;      // empty and allow_anonymous: no authentication
  bool allow_anonymous = false;           // the embedded edge only
  std::chrono::seconds resume_grace{60};  // names stay reserved this long after a disconnect
  std::chrono::milliseconds ping_interval{10'000};
  EdgeLimits limits;
  // state (hardening item 3): where the edge keeps which authtoken owns which tunnel name
  // (SQLite, <state_dir>/edge.db). Empty: in memory only, for the embedded edge of `relay http`,
  // whose names live as long as its process. `relay edge` always sets it (--state-dir).
  std::string state_dir;
  // durable delivery: store
  // The most edge.db may hold, in bytes (0: no limit but the disk's). Past it, requests for
  // buffered tunnels are answered 503 RELAY_QUEUE_FULL. edge.yml store_max_size,
  // --store-max-size.
  std::uint64_t store_max_bytes = 0;
  // public-limits: peers (load balancers) whose X-Forwarded-For is believed, "CIDR" each.
  std::vector<std::string> trusted_proxies;
  // operations: acme
  AcmeOptions acme;
  // operations: "host:port" serving GET /metrics (Prometheus); empty: none.
  std::string metrics_listen;
  // cluster: redis
  ClusterOptions cluster;
};

}  // namespace relay::edge
