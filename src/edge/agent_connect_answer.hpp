#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

#include "edge/auth_tokens.hpp"
#include "edge/connect_check.hpp"
#include "edge/host_router.hpp"
#include "edge/ip_rules.hpp"
#include "edge/refusal.hpp"
#include "edge/session_registry.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {

// serve_agent's decisions (edge/agent_listener.cpp), apart from its I/O: which refusal answers
// a connect and how it is written, counted and reported. Pure, so tests/unit/edge checks each
// without a socket; the coroutine keeps the TLS opening, the reads and writes, the cluster's
// claim in Redis and the session's start. Whether the request itself is acceptable (path,
// method, Upgrade, authtoken, JSON, version) is check_connect's (edge/connect_check.hpp).

// After a failed read of the connect request: the refusal to answer with, or nullopt when the
// connection simply ended (closed, stopped) and nobody waits for an answer.
std::optional<Refusal> connect_read_refusal(const boost::system::error_code& ec);

// While the edge stops, asked before and after the cluster's claim (which waits on Redis).
Refusal shutting_down_refusal();

// What a connect asks for, once everything decidable without the names' owners is decided.
struct ConnectPlan {
  net::protocol::ConnectRequest request;  // hostnames replaced by the names they route to
  const AuthToken* token = nullptr;       // nullptr: anonymous
  std::vector<IpRules> ip_rules;          // per requested tunnel, in order
};

// check_connect's verdict, then: refused while the edge stops; each tunnel's hostname must be
// NAME.<domain> (400 bad_hostname); its IP rules must parse (400 bad_ip_rule).
Refusable<ConnectPlan> plan_connect(Refusable<ConnectAccepted> checked, bool stopping,
                                    const HostRouter& router);

// Hostnames ("myhook.relay.example.com") become names, in place; a hostname outside the edge's
// domain, or naming another tunnel than `name` says, is refused.
Refusable<void> resolve_hostnames(const HostRouter& router,
                                  std::vector<net::protocol::TunnelRequest>& tunnels);

// The name that the logs give the agent's token: its label, or "anonymous".
std::string token_label(const AuthToken* token);

// The outcome of an accepted connect that the metrics count: "resumed" or "connected" (a
// refused one counts as its refusal's code).
std::string_view connect_outcome(const SessionRegistry::Grant& grant);

// How a refusal is reported: a 401 goes through the auth-failure limiter (counted, and logged
// within its budget, so a token guesser cannot fill the disk); any other is one warning line.
enum class RefusalReport { auth_failure, warning };
RefusalReport refusal_report(const Refusal& refusal);

// The HTTP/1.1 answer to a refused connect: the status, the JSON error body of
// docs/protocol.md, `connection: close`, and Retry-After when `retry_after` is positive.
std::string refusal_response(const Refusal& refusal, std::chrono::seconds retry_after = {});

// The answer to an accepted connect; what follows on the connection is HTTP/2.
inline constexpr std::string_view kSwitchingProtocols =
    "HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: relay-h2\r\n\r\n";

}  // namespace relay::edge
