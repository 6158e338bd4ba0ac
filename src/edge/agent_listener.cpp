#include "edge/agent_listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "edge/agent_connect_answer.hpp"
#include "edge/agent_session.hpp"
#include "edge/auth_guard.hpp"
#include "edge/bound_policies.hpp"
#include "edge/cluster_tokens.hpp"  // cluster: tokens
#include "edge/connect_check.hpp"
#include "edge/ip_rules.hpp"
#include "edge/listen_socket.hpp"
#include "edge/tls_opening.hpp"
#include "relay/core/error_page.hpp"
#include "relay/core/headers.hpp"
#include "relay/core/log.hpp"

namespace relay::edge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace protocol = net::protocol;
using asio::ip::tcp;

namespace {

constexpr std::uint32_t kConnectHeaderLimit = 16 * 1024;
constexpr std::uint64_t kConnectBodyLimit = 64 * 1024;
constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> write_refusal(net::TlsStream& stream, const Refusal& refusal,
                                    std::chrono::seconds retry_after = {}) {
  const std::string answer = refusal_response(refusal, retry_after);
  co_await asio::async_write(stream, asio::buffer(answer), kAwaitable);
  co_await stream.async_shutdown(kAwaitable);
}

// Who is connecting, as the refusal's report names it.
struct AgentIdentity {
  const std::string& client;  // the auth-failure limiter's key
  const std::string& remote;  // address:port, for logs
  const std::string& label;   // the token's label, never the token
};

// A refused connect: counted, reported as refusal_report says, answered, closed.
asio::awaitable<void> refuse_agent(EdgeState& state, net::TlsStream& stream, AgentIdentity who,
                                   const Refusal& refusal) {
  state.metrics.agent_connect(refusal.code);
  if (refusal_report(refusal) == RefusalReport::auth_failure) {
    note_auth_failure(state, who.client, who.remote, refusal);  // counted, logged within a budget
  } else {
    core::log_event(*state.log, spdlog::level::warn, "agent refused",
                    {{"agent", who.remote},
                     {"token", who.label},
                     {"status", refusal.status},
                     {"code", refusal.code},
                     {"reason", refusal.message}});
  }
  co_await write_refusal(stream, refusal);
}

// The names of a planned connect: claimed in the cluster's Redis first (every edge must agree
// on their owner before this one grants them), then granted by the session registry.
asio::awaitable<Refusable<SessionRegistry::Grant>> admit(EdgeState& state,
                                                         const ConnectPlan& plan) {
  if (state.cluster) {
    auto tunnels = plan.request.tunnels;
    std::string owner =
        plan.token != nullptr ? core::to_lower(plan.token->sha256_hex) : std::string();
    auto claimed = co_await state.cluster->claim(std::move(owner), std::move(tunnels));
    if (!claimed) co_return std::move(claimed.error());
    if (state.stopping) co_return shutting_down_refusal();
  }
  auto granted = state.registry.open({plan.token, plan.request.tunnels, plan.request.resume},
                                     std::chrono::steady_clock::now(), state.names);
  if (granted) {
    // durable delivery (accept): a token's names keep their policy across restarts.
    record_bound_policies(state.buffer_policies,
                          plan.token != nullptr ? &state.store->policies() : nullptr, *state.log,
                          plan.request.tunnels, granted->names);
  }
  co_return granted;
}

}  // namespace

AgentListener::AgentListener(std::shared_ptr<EdgeState> state, const tcp::endpoint& endpoint,
                             net::TlsContextPtr tls)
    : state_(std::move(state)), tls_(std::move(tls)) {
  acceptor_ = open_acceptor(state_->executor, endpoint, "--agent-listen");
  endpoint_ = acceptor_->local_endpoint();
}

void AgentListener::start() {
  start_accepting(acceptor_, state_->log, "agent",
                  [state = state_, tls = tls_](tcp::socket socket) {
                    // public-limits: no TLS state until the agent has sent something.
                    return serve_after_first_bytes(
                        state, state->agent_connections, std::move(socket),
                        [state, tls](tcp::socket ready, PendingHandshake pending) {
                          return serve_agent(state, tls, std::move(ready), std::move(pending));
                        });
                  });
}

void AgentListener::close() {
  boost::system::error_code ignored;
  acceptor_->close(ignored);
}

asio::awaitable<void> serve_agent(std::shared_ptr<EdgeState> state, net::TlsContextPtr tls,
                                  tcp::socket socket, PendingHandshake pending) {
  // The whole handshake (TLS + connect request) must arrive in time: a slow-loris guard.
  auto timeout = std::min<std::chrono::steady_clock::duration>(
      state->options.limits.header_timeout, pending.deadline - std::chrono::steady_clock::now());
  auto opening = co_await open_tls(*state, *tls, std::move(socket), timeout, "agent");
  if (!opening) co_return;
  auto& stream = opening->stream;
  const std::string& remote = opening->remote;
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.header_limit(kConnectHeaderLimit);
  parser.body_limit(kConnectBodyLimit);
  auto [read_ec, n] = co_await http::async_read(stream, buffer, parser, kAwaitable);
  if (read_ec) {
    if (auto refusal = connect_read_refusal(read_ec)) co_await write_refusal(stream, *refusal);
    co_return;
  }
  auto& request = parser.get();
  // A blocked address is refused before its token is even looked at (docs/security.md).
  const std::string client =
      opening->remote_endpoint ? auth_limit_key(opening->remote_endpoint->address()) : remote;
  if (auto allowed = check_auth_block(*state, client, remote); !allowed) {
    const AuthBlock& block = allowed.error();
    state->metrics.agent_connect(block.refusal.code);
    co_await write_refusal(stream, block.refusal, block.retry_after);
    co_return;
  }
  ConnectHead head{request.method_string(), request.target(), request[http::field::authorization],
                   request[http::field::upgrade]};
  // cluster: tokens. A token neither edge.yml nor the cache knows may have been added to Redis a
  // moment ago: one HGET (the limiter above already let this client through).
  if (state->cluster) {
    auto presented = bearer_token(head.authorization);
    if (!presented.empty() && state->tokens.find(presented) == nullptr) {
      co_await fetch_cluster_token(*state, std::string(presented));
    }
  }
  auto checked = check_connect(head, request.body(), state->tokens, state->options.allow_anonymous);
  // cluster: tokens. The cache may change while this coroutine waits on Redis below: keep a
  // copy of the token rather than a pointer into it.
  AuthToken token_copy;
  if (checked && checked->token != nullptr) {
    token_copy = *checked->token;
    checked->token = &token_copy;
  }
  const std::string label = token_label(checked ? checked->token : nullptr);
  auto plan = plan_connect(std::move(checked), state->stopping, state->router);
  if (!plan) {
    co_await refuse_agent(*state, stream, {client, remote, label}, plan.error());
    co_return;
  }
  auto granted = co_await admit(*state, *plan);
  if (!granted) {
    co_await refuse_agent(*state, stream, {client, remote, label}, granted.error());
    co_return;
  }
  state->metrics.agent_connect(connect_outcome(*granted));
  auto grant = std::move(*granted);
  auto& ip_rules = plan->ip_rules;

  auto [write_ec, written] =
      co_await asio::async_write(stream, asio::buffer(kSwitchingProtocols), kAwaitable);
  opening->deadline->disarm();
  pending.slot.reset();  // the handshake is over: no longer pending
  if (write_ec) {
    state->registry.detach(grant.session_id, nullptr, std::chrono::steady_clock::now());
    co_return;
  }
  // Bytes the agent sent right behind its request belong to HTTP/2 already.
  auto data = buffer.data();
  std::string already_read(static_cast<const char*>(data.data()), data.size());
  opening->tracked.reset();
  auto h2 = std::make_shared<net::H2Session>(std::move(stream), net::H2Session::Role::client,
                                             state->h2_options, std::move(already_read));
  for (std::size_t i = 0; i < grant.names.size() && i < ip_rules.size(); ++i) {
    state->ip_rules.set(grant.names[i], std::move(ip_rules[i]));
  }
  auto session = std::make_shared<AgentSession>(state, h2, grant.session_id, label, remote);
  state->registry.attach(grant.session_id, session);
  if (grant.replaced) grant.replaced->close();  // the agent is back before the old link died
  auto live = state->agent_connections.add(
      {[session] { session->shutdown(); }, [session] { session->close(); }});

  core::log_event(*state->log, spdlog::level::info,
                  grant.resumed ? "agent resumed" : "agent connected",
                  {{"session", grant.session_id}, {"agent", remote}, {"token", label}});
  for (const auto& n : grant.names) {
    core::log_event(*state->log, spdlog::level::info, "tunnel bound",
                    {{"tunnel", n}, {"url", state->public_url(n)}, {"session", grant.session_id}});
  }
  // durable delivery: what was queued for the names while the agent was away can go now (the
  // workers start after this coroutine suspends in run(), once the control stream is open).
  if (state->delivery_wakeup) {
    for (const auto& n : grant.names) state->delivery_wakeup(n);
  }
  auto end = co_await session->run(grant.names);
  state->registry.detach(grant.session_id, session.get(), std::chrono::steady_clock::now());
  core::log_event(*state->log, spdlog::level::info, "agent disconnected",
                  {{"session", grant.session_id},
                   {"agent", remote},
                   {"reason", end ? end.message() : std::string("closed")}});
}

}  // namespace relay::edge
