#include "cli/public_limit_flags.hpp"

#include "relay/edge/cidr.hpp"

namespace relay::cli {

namespace {

std::chrono::seconds seconds_from(long long value, const char* flag) {
  if (value < 0 || value > 86400)
    throw CLI::ValidationError(flag, "must be from 0 to 86400 seconds");
  return std::chrono::seconds(value);
}

}  // namespace

void add_public_limit_flags(CLI::App& cmd, PublicLimitFlags& f) {
  cmd.add_option("--trusted-proxies", f.trusted_proxies,
                 "Load balancers in front of the edge, CIDR,... (e.g. 10.0.0.0/8): only from "
                 "these is X-Forwarded-For believed; the client is its right-most untrusted entry")
      ->delimiter(',');
  cmd.add_option("--body-min-rate", f.body_min_rate,
                 "Bytes/s a request body must average after --body-rate-grace, 0 = off (→ 408)")
      ->default_str("1024");
  cmd.add_option("--body-rate-grace", f.body_rate_grace,
                 "Seconds a request body may take before --body-min-rate applies")
      ->default_str("10");
  cmd.add_option("--max-connections-per-ip", f.max_connections_per_ip,
                 "Open public connections per client address, 0 = unlimited (→ 429)")
      ->default_str("256");
  cmd.add_option("--max-requests-per-ip", f.max_requests_per_ip,
                 "Requests in flight to agents per client address, 0 = unlimited (→ 429)")
      ->default_str("128");
  cmd.add_option("--max-streams-per-session", f.max_streams_per_session,
                 "Requests in flight per agent session, 0 = what the agent allows (1024)")
      ->default_str("0");
  cmd.add_option("--stream-wait", f.stream_wait,
                 "Seconds a request waits when its agent session is full, then 503 + Retry-After")
      ->default_str("3");
  cmd.add_option("--handshake-timeout", f.handshake_timeout,
                 "Seconds a connection to a TLS port gets to send its first byte and finish TLS")
      ->default_str("10");
  cmd.add_option("--max-pending-handshakes", f.max_pending_handshakes,
                 "Connections to TLS ports not yet through their handshake, 0 = unlimited")
      ->default_str("512");
  cmd.add_option("--max-pending-handshakes-per-ip", f.max_pending_handshakes_per_ip,
                 "The same per client address, 0 = unlimited")
      ->default_str("32");
}

void apply_public_limit_flags(const PublicLimitFlags& f, edge::EdgeOptions& options) {
  auto& limits = options.limits;
  if (!f.trusted_proxies.empty()) {
    for (const auto& entry : f.trusted_proxies) {
      if (auto block = edge::parse_cidr(entry); !block) {
        throw CLI::ValidationError(
            "--trusted-proxies",
            "'" + entry + "': " + block.error().message + "; use ADDRESS/PREFIX, e.g. 10.0.0.0/8");
      }
    }
    options.trusted_proxies = f.trusted_proxies;
  }
  if (f.body_min_rate) limits.body_min_rate = *f.body_min_rate;
  if (f.body_rate_grace)
    limits.body_rate_grace = seconds_from(*f.body_rate_grace, "--body-rate-grace");
  if (f.max_connections_per_ip) limits.max_connections_per_ip = *f.max_connections_per_ip;
  if (f.max_requests_per_ip) limits.max_requests_per_ip = *f.max_requests_per_ip;
  if (f.max_streams_per_session) limits.max_streams_per_session = *f.max_streams_per_session;
  if (f.stream_wait) limits.stream_wait = seconds_from(*f.stream_wait, "--stream-wait");
  if (f.handshake_timeout) {
    limits.handshake_timeout = seconds_from(*f.handshake_timeout, "--handshake-timeout");
    if (limits.handshake_timeout.count() == 0) {
      throw CLI::ValidationError("--handshake-timeout", "must be at least 1 second");
    }
  }
  if (f.max_pending_handshakes) limits.max_pending_handshakes = *f.max_pending_handshakes;
  if (f.max_pending_handshakes_per_ip) {
    limits.max_pending_handshakes_per_ip = *f.max_pending_handshakes_per_ip;
  }
}

}  // namespace relay::cli
