#include "edge/agent_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "edge/bound_policies.hpp"
#include "edge/delivery_control.hpp"
#include "edge/ip_rules.hpp"
#include "edge/retry_policy.hpp"
#include "relay/core/log.hpp"
#include "relay/net/control_lines.hpp"

namespace relay::edge {

namespace asio = boost::asio;
namespace protocol = net::protocol;

namespace {
// A control line longer than this is not something the protocol produces: the agent is broken
// (or hostile; the agent's own bound on the edge's lines is 1 MiB, for long queue answers).
constexpr std::size_t kMaxControlLine = 64 * 1024;
}  // namespace

AgentSession::AgentSession(std::shared_ptr<EdgeState> state, std::shared_ptr<net::H2Session> h2,
                           std::string id, std::string token_label, std::string remote)
    : state_(std::move(state)),
      h2_(std::move(h2)),
      id_(std::move(id)),
      label_(std::move(token_label)),
      remote_(std::move(remote)),
      budget_(state_->executor) {}

std::size_t AgentSession::stream_limit() const {
  const std::size_t peer = h2_->peer_max_concurrent_streams();
  std::size_t budget = peer > 1 ? peer - 1 : 1;  // one is the control stream's
  const std::size_t cap = state_->options.limits.max_streams_per_session;
  if (cap != 0 && cap < budget) budget = cap;
  return budget;
}

StreamBudget::Ticket AgentSession::try_reserve_stream() {
  return budget_.try_acquire(stream_limit());
}

asio::awaitable<StreamBudget::Ticket> AgentSession::reserve_stream() {
  const std::function<std::size_t()> limit = [this] { return stream_limit(); };
  // Named, not temporaries, in the co_await expression (a GCC 12 coroutine bug).
  const auto deadline = std::chrono::steady_clock::now() + state_->options.limits.stream_wait;
  auto ticket = co_await budget_.acquire(limit, deadline);
  co_return ticket;
}

asio::awaitable<core::error_code> AgentSession::run(std::vector<std::string> names) {
  using namespace asio::experimental::awaitable_operators;
  auto self = shared_from_this();
  auto h2 = h2_;
  // A GOAWAY either way (the agent's nghttp2 tripped by this edge, or this edge's by the agent)
  // ends the session: no new requests are routed to it from now on (open_stream() refuses),
  // the ones in flight finish, then the control stream ends and the agent reconnects.
  h2->set_goaway_handler([weak = weak_from_this()](const net::H2Goaway& goaway) {
    auto session = weak.lock();
    if (!session) return;
    // NO_ERROR from the agent is an agent shutting down in order.
    core::log_event(*session->state_->log,
                    goaway.error_code == 0 ? spdlog::level::info : spdlog::level::warn,
                    "agent session ending after GOAWAY",
                    {{"session", session->id_},
                     {"agent", session->remote_},
                     {"sent_by", goaway.sent ? "edge" : "agent"},
                     {"error", goaway.error_name()},
                     {"last_stream", goaway.last_stream_id}});
    session->shutdown();
  });
  // idle-sessions: an idle session frees ~50 KiB of buffers, which stay in the heap among
  // live blocks until trimmed: thousands of sessions going idle are a burst like closes.
  h2->set_idle_handler([weak = std::weak_ptr<EdgeState>(state_)] {
    if (auto state = weak.lock()) state->trimmer.connection_closed();
  });
  // Both halves end together: the control loop ends when the connection does, and closes the
  // connection when the agent ends the control stream.
  co_return co_await (h2->run() && control_loop(std::move(names)));
}

asio::awaitable<void> AgentSession::control_loop(std::vector<std::string> names) {
  core::Headers headers{{":method", "POST"},
                        {":scheme", "https"},
                        {":authority", state_->router.domain()},
                        {":path", std::string(protocol::kControlPath)},
                        {"content-type", "application/x-ndjson"}};
  auto opened = h2_->open_stream(std::move(headers), false);
  if (!opened) {
    h2_->close();
    co_return;
  }
  control_ = *opened;
  // Named, not a temporary: GCC 12 destroys some temporaries of a co_await expression twice.
  protocol::ControlMessage hello = protocol::SessionMessage{id_, infos(names)};
  if (!co_await send(hello)) co_return;

  protocol::ControlLines lines(kMaxControlLine);
  std::string chunk;
  for (;;) {
    auto ec = co_await control_->read(chunk);
    if (ec || chunk.empty()) break;  // the agent ended the control stream, or the session died
    lines.feed(chunk);
    while (auto line = lines.next()) {
      if (!co_await handle_line(*line)) {
        h2_->close();
        co_return;
      }
    }
    if (lines.overflowed()) {
      core::log_event(*state_->log, spdlog::level::warn, "control line too long; closing session",
                      {{"session", id_}, {"agent", remote_}});
      break;
    }
  }
  // Without its control stream the agent cannot be told anything: the session is over, but the
  // streams in flight may finish (GOAWAY, not a hard close).
  if (!state_->stopping) h2_->shutdown();
  control_->reset(0);
}

asio::awaitable<bool> AgentSession::handle_line(std::string_view line) {
  auto message = protocol::parse_control_message(line);
  if (!message) {
    const std::string& error = message.error().message;
    core::log_event(*state_->log, spdlog::level::warn, "bad control message from agent",
                    {{"session", id_}, {"error", error}});
    protocol::ControlMessage reply =
        protocol::ErrorMessage{"bad_message", "control message refused: " + error, ""};
    co_return co_await send(reply);
  }
  if (auto* bind = std::get_if<protocol::BindMessage>(&*message)) {
    auto ip_rules = parse_tunnel_ip_rules(bind->tunnels);  // operations: per tunnel, in order
    if (!ip_rules) {
      std::string tunnel = bind->tunnels.size() == 1 ? bind->tunnels.front().name : "";
      protocol::ControlMessage reply =
          protocol::ErrorMessage{"bad_ip_rule", ip_rules.error().message, tunnel};
      co_return co_await send(reply);
    }
    // cluster: redis. The names' owner is agreed in Redis first (a retryable refusal without it).
    if (state_->cluster) {
      auto tunnels = bind->tunnels;
      auto claimed =
          co_await state_->cluster->claim(state_->registry.token_hash_of(id_), std::move(tunnels));
      if (!claimed) {
        std::string tunnel = bind->tunnels.size() == 1 ? bind->tunnels.front().name : "";
        protocol::ControlMessage reply =
            protocol::ErrorMessage{claimed.error().code, claimed.error().message, tunnel};
        co_return co_await send(reply);
      }
    }
    auto outcome =
        state_->registry.bind(id_, bind->tunnels, std::chrono::steady_clock::now(), state_->names);
    if (!outcome) {
      std::string tunnel = bind->tunnels.size() == 1 ? bind->tunnels.front().name : "";
      protocol::ControlMessage reply =
          protocol::ErrorMessage{outcome.error().code, outcome.error().message, tunnel};
      co_return co_await send(reply);
    }
    auto& names = *outcome;
    // durable delivery (accept): a token's names keep their policy across restarts.
    record_bound_policies(state_->buffer_policies,
                          state_->registry.is_anonymous(id_) ? nullptr : &state_->store->policies(),
                          *state_->log, bind->tunnels, names);
    for (std::size_t i = 0; i < names.size() && i < ip_rules->size(); ++i) {
      state_->ip_rules.set(names[i], std::move((*ip_rules)[i]));
    }
    for (const auto& n : names) {
      core::log_event(*state_->log, spdlog::level::info, "tunnel bound",
                      {{"tunnel", n}, {"url", state_->public_url(n)}, {"session", id_}});
      // durable delivery: what was queued for the name can go now.
      if (state_->delivery_wakeup) state_->delivery_wakeup(n);
    }
    protocol::ControlMessage reply = protocol::BoundMessage{infos(names)};
    co_return co_await send(reply);
  }
  if (auto* unbind = std::get_if<protocol::UnbindMessage>(&*message)) {
    // Only names this session holds: another tunnel's rules are not this agent's to drop.
    const auto now = std::chrono::steady_clock::now();
    for (const auto& name : unbind->names) {
      if (state_->registry.lookup(name, now).session_id == id_) state_->ip_rules.erase(name);
    }
    state_->registry.unbind(id_, unbind->names);
    co_return true;  // no answer: unbinding cannot fail
  }
  // durable delivery: the agent's view of the queue of its own tunnels.
  if (auto* list = std::get_if<protocol::ListDeliveriesMessage>(&*message)) {
    // Named, not temporaries, in the co_await expressions (a GCC 12 coroutine bug).
    const auto own = state_->registry.names_of(id_);
    protocol::ControlMessage reply =
        co_await list_deliveries(state_->store->deliveries(), *list, own);
    co_return co_await send(reply);
  }
  if (auto* command = std::get_if<protocol::DeliveryCommandMessage>(&*message)) {
    const auto own = state_->registry.names_of(id_);
    const std::int64_t now = unix_now_ms();
    auto done = co_await run_delivery_command(state_->store->deliveries(), *command, own, now,
                                              state_->delivery_wakeup);
    if (done.code.empty() && done.count > 0) {
      core::log_event(*state_->log, spdlog::level::info, "delivery command from agent",
                      {{"session", id_},
                       {"action", command->action},
                       {"delivery", command->delivery_id},
                       {"tunnel", command->tunnel},
                       {"count", done.count}});
    }
    protocol::ControlMessage reply = std::move(done);
    co_return co_await send(reply);
  }
  // session/bound/error flow edge → agent only; one coming back is ignored, not fatal.
  co_return true;
}

asio::awaitable<bool> AgentSession::send(const protocol::ControlMessage& message) {
  auto ec = co_await control_->write(protocol::serialize(message), false);
  co_return !ec;
}

std::vector<protocol::TunnelInfo> AgentSession::infos(const std::vector<std::string>& names) const {
  std::vector<protocol::TunnelInfo> out;
  out.reserve(names.size());
  for (const auto& n : names) out.push_back({n, state_->public_url(n)});
  return out;
}

core::Result<std::shared_ptr<net::H2Stream>> AgentSession::open_stream(core::Headers headers,
                                                                       bool end_stream,
                                                                       net::FieldNames names) {
  return h2_->open_stream(std::move(headers), end_stream, names);
}

void AgentSession::shutdown() {
  if (draining_) return;
  draining_ = true;
  h2_->shutdown();
  // Owns no socket or buffer, only a timer; it ends with the session at the latest.
  asio::co_spawn(h2_->get_executor(), end_control_when_idle(shared_from_this()), asio::detached);
}

// The control stream would keep the session "in flight" forever, and an agent takes its end as
// the end of the session: so it ends only once the public requests in flight are done.
// `self` keeps the session alive while this runs.
asio::awaitable<void> AgentSession::end_control_when_idle(
    [[maybe_unused]] std::shared_ptr<AgentSession> self) {
  asio::steady_timer timer(h2_->get_executor());
  while (h2_->active_streams() > (control_ && !control_->closed() ? 1u : 0u)) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (control_) control_->reset(0);
}

void AgentSession::close() { h2_->close(); }

}  // namespace relay::edge
