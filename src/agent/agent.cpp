#include "relay/agent/agent.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/agent_impl.hpp"
#include "agent/agent_inspector.hpp"
#include "agent/basic_auth_step.hpp"
#include "agent/capture_step.hpp"
#include "agent/connect_handshake.hpp"
#include "agent/forward_step.hpp"
#include "agent/verifier_factory.hpp"
#include "agent/verify_step.hpp"
#include "relay/core/log.hpp"
#include "relay/inspect/error.hpp"

namespace relay::agent {

namespace asio = boost::asio;
namespace protocol = net::protocol;

namespace {

constexpr auto kDrain = std::chrono::seconds{10};
constexpr auto kBindTimeout = std::chrono::seconds{10};
// RST_STREAMs from the edge: a burst and a rate per second no edge reaches (see run()).
constexpr std::uint64_t kEdgeResetLimit = 1'000'000'000;
constexpr std::string_view kAgentVersion = "0.1.0";

const std::shared_ptr<spdlog::logger>& log() {
  static const auto logger = core::logger("relay.agent");
  return logger;
}

// What the edge is asked for: the name, the durable delivery policy (all of it but re-sign,
// which stays here with the secret) and the IP rules.
protocol::TunnelRequest tunnel_request(const TunnelRuntime& t) {
  return {t.requested_name, t.options.proto,    "",
          t.options.buffer, t.options.ip_allow, t.options.ip_deny};
}

std::string seconds(std::chrono::milliseconds d) {
  return fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1000.0);
}

}  // namespace

Agent::Impl::Impl(asio::io_context& io, AgentOptions options)
    : io_(io),
      options_(std::move(options)),
      dialer_(io.get_executor(), options_),
      backoff_({.initial = options_.backoff_initial, .max = options_.backoff_max}),
      sleep_timer_(io) {
  if (options_.version.empty()) options_.version = std::string(kAgentVersion);
  if (!options_.inspect_addr.empty()) {
    inspector_ = std::make_unique<AgentInspector>(*this, io.get_executor(), options_);
  }
  for (auto& t : options_.tunnels) tunnels_.push_back(make_runtime(t));
}

Agent::Impl::~Impl() = default;

std::string Agent::Impl::start_inspector() { return inspector_ ? inspector_->start() : ""; }

std::shared_ptr<TunnelRuntime> Agent::Impl::find_by_name(std::string_view name) const {
  for (const auto& t : tunnels_) {
    if (t->options.name == name) return t;
  }
  return nullptr;
}

std::string Agent::Impl::edge_address() const {
  return dialer_.endpoint().host + ":" + dialer_.endpoint().port;
}

std::shared_ptr<TunnelRuntime> Agent::Impl::make_runtime(TunnelOptions options) {
  auto t = std::make_shared<TunnelRuntime>();
  t->options = std::move(options);
  std::string error;
  auto upstream = parse_upstream_address(t->options.addr, error);
  if (!upstream) throw std::runtime_error(error);
  t->upstream = *upstream;
  auto name = requested_tunnel_name(t->options.url, error);
  if (!name) throw std::runtime_error(error);
  t->requested_name = *name;
  if (t->options.name.empty()) t->options.name = name->empty() ? "http" : *name;
  t->pool = std::make_shared<UpstreamPool>(io_.get_executor(), t->upstream, options_.limits,
                                           t->options.upstream_tls_verify);
  t->pipeline = std::make_shared<Pipeline>();
  t->events = &events;
  t->metrics = &metrics_;
  if (inspector_) {
    t->pipeline->append(
        std::make_unique<CaptureStep>(inspector_->store(), inspector_->body_limit()));
  }
  if (t->options.basic_auth) {
    t->pipeline->append(std::make_unique<BasicAuthStep>(*t->options.basic_auth));
  }
  if (t->options.verify_webhook) {
    t->signer = make_verifier(*t->options.verify_webhook);
    const core::Headers none;
    const core::RequestView probe{"POST", "https://relay.invalid/", none, "{}"};
    t->can_resign = t->signer->sign(probe, core::Clock::now()).has_value();
    t->pipeline->append(std::make_unique<VerifyStep>(make_verifier(*t->options.verify_webhook),
                                                     *t->options.verify_webhook,
                                                     options_.limits.max_verified_body_bytes));
  }
  t->pipeline->append(std::make_unique<ForwardStep>(t->pool, t->options, options_.limits));
  return t;
}

protocol::ConnectRequest Agent::Impl::connect_request() const {
  protocol::ConnectRequest r;
  r.agent_version = std::string(kAgentVersion);
  for (const auto& t : tunnels_) r.tunnels.push_back(tunnel_request(*t));
  r.resume = session_id_;
  return r;
}

void Agent::Impl::state(std::string_view s, std::string_view detail) {
  session_state_ = std::string(s);
  metrics_.session_state(s);
  if (events.session_state) events.session_state(s, detail);
}

asio::awaitable<bool> Agent::Impl::sleep(std::chrono::milliseconds delay) {
  if (stopping_) co_return false;
  sleep_timer_.expires_after(delay);
  co_await sleep_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !stopping_;
}

asio::awaitable<core::error_code> Agent::Impl::run() {
  const std::string host = dialer_.endpoint().host;
  while (!stopping_) {
    state("connecting", dialer_.endpoint().host + ":" + dialer_.endpoint().port);
    DialFailure failure;
    auto stream = co_await dialer_.dial(failure);
    std::string already_read;
    if (stream) {
      // Named, not a temporary: GCC 12 may destroy temporaries of a co_await expression twice.
      const auto request = connect_request();
      auto upgraded =
          co_await connect_handshake(*stream, host, options_.authtoken, request, failure);
      if (upgraded) {
        already_read = std::move(upgraded.value());
      } else {
        stream = failure.ec;
      }
    }
    if (!stream) {
      // A name held elsewhere right after our own session dropped is usually our old session
      // that the edge has not noticed yet: that one is worth retrying.
      bool permanent = failure.permanent && !(failure.ec == AgentErrc::name_taken && ever_online_);
      if (permanent) {
        last_error = failure.message;
        state("stopped", failure.message);
        if (inspector_) inspector_->stop();
        co_return failure.ec;
      }
      auto delay = backoff_.next();
      if (failure.retry_after.count() > 0) {
        // The edge said when (429): sooner is refused again, and retrying earlier only
        // prolongs a block that may be meant for another client at this address.
        delay = std::max<std::chrono::milliseconds>(delay, failure.retry_after);
        log()->warn("{}; retrying in {}", failure.message, seconds(delay));
      } else {
        log()->warn("edge unreachable: {}; retrying in {}", failure.message, seconds(delay));
      }
      state("reconnecting", failure.message);
      if (!co_await sleep(delay)) break;
      continue;
    }

    net::H2Options h2;
    h2.ping_interval = options_.ping_interval;
    // The edge is this session's only peer, and every RST_STREAM it sends stands for a public
    // caller that went away (or a response deadline). nghttp2's rapid-reset limiter (1,000 then
    // 33/s per connection) cannot tell those callers apart: with it, anyone with the URL could
    // make the agent GOAWAY its edge by aborting ~1,000 requests. Hostile callers are limited
    // at the edge (per client address); here the limit is lifted for the authenticated edge.
    h2.reset_burst = kEdgeResetLimit;
    h2.reset_rate = kEdgeResetLimit;
    auto h2_session = std::make_shared<net::H2Session>(
        std::move(stream.value()), net::H2Session::Role::server, h2, std::move(already_read));
    session_ = std::make_shared<AgentSession>(h2_session, *this);
    auto started = std::chrono::steady_clock::now();
    auto reason = co_await session_->run();
    session_.reset();
    finish_pending("the session with the edge ended before it answered");
    finish_queries(inspect::Errc::no_session);
    set_offline(reason ? reason.message() : "closed");
    if (stopping_) break;

    backoff_.session_ended(std::chrono::steady_clock::now() - started);
    auto delay = backoff_.next();
    log()->warn("session with the edge ended: {}; reconnecting in {}",
                reason ? reason.message() : "closed by the edge", seconds(delay));
    state("reconnecting", reason ? reason.message() : "closed by the edge");
    if (!co_await sleep(delay)) break;
  }
  state("stopped", "");
  if (inspector_) inspector_->stop();
  co_return core::error_code{};
}

void Agent::Impl::stop() {
  if (stopping_) return;
  stopping_ = true;
  sleep_timer_.cancel();
  if (session_) session_->shutdown(kDrain);
  if (inspector_) inspector_->stop();
}

void Agent::Impl::set_offline(std::string_view detail) {
  for (auto& t : tunnels_) t->online = false;
  (void)detail;
}

std::vector<TunnelStatus> Agent::Impl::tunnels() const {
  std::vector<TunnelStatus> out;
  for (const auto& t : tunnels_) out.push_back(t->status());
  return out;
}

std::shared_ptr<TunnelRuntime> Agent::Impl::find_by_public_name(std::string_view name) {
  for (auto& t : tunnels_) {
    if (t->online && t->public_name == name) return t;
  }
  // A single tunnel serves whatever the edge routes to this session.
  if (name.empty() && tunnels_.size() == 1) return tunnels_.front();
  return nullptr;
}

void Agent::Impl::apply(TunnelRuntime& t, const protocol::TunnelInfo& info) {
  bool changed = t.public_url != info.public_url;
  t.public_name = info.name;
  t.requested_name = info.name;  // ask for the same name next time: the URL survives a restart
  t.public_url = info.public_url;
  t.online = true;
  if (changed || !t.announced) {
    t.announced = true;
    // ngrok's wording and fields: client libraries wait for this line.
    core::log_event(*log(), spdlog::level::info, "started tunnel",
                    {{"obj", "tunnels"},
                     {"name", t.options.name},
                     {"addr", t.upstream.url()},
                     {"url", t.public_url}});
    if (events.tunnel_started) events.tunnel_started(t.status());
  }
}

void Agent::Impl::on_control(const protocol::ControlMessage& message) {
  if (const auto* session = std::get_if<protocol::SessionMessage>(&message)) {
    session_id_ = session->id;
    ever_online_ = true;
    // ngrok's wording, before its tunnels' lines: client libraries wait for this line.
    core::log_event(*log(), spdlog::level::info, "client session established", {{"obj", "csess"}});
    std::vector<bool> used(tunnels_.size(), false);
    std::vector<const protocol::TunnelInfo*> unmatched;
    for (const auto& info : session->tunnels) {
      bool found = false;
      for (std::size_t i = 0; i < tunnels_.size(); ++i) {
        if (!used[i] && !tunnels_[i]->requested_name.empty() &&
            tunnels_[i]->requested_name == info.name) {
          used[i] = found = true;
          apply(*tunnels_[i], info);
          break;
        }
      }
      if (!found) unmatched.push_back(&info);
    }
    // Random names: the edge answers in the order of the connect request.
    std::size_t i = 0;
    for (const auto* info : unmatched) {
      while (i < tunnels_.size() && used[i]) ++i;
      if (i == tunnels_.size()) break;
      used[i] = true;
      apply(*tunnels_[i], *info);
    }
    backoff_.reset();
    state("online", session->id);
    return;
  }
  if (const auto* bound = std::get_if<protocol::BoundMessage>(&message)) {
    for (const auto& info : bound->tunnels) {
      if (pending_.empty()) break;
      auto p = pending_.front();
      pending_.pop_front();
      for (auto& t : tunnels_) {
        if (t->options.name == p->tunnel) apply(*t, info);
      }
      p->finished = true;
      p->done.notify();
    }
    return;
  }
  if (on_queue_answer(message)) return;
  if (const auto* error = std::get_if<protocol::ErrorMessage>(&message)) {
    core::log_event(
        *log(), spdlog::level::warn, "edge reported an error",
        {{"code", error->code}, {"message", error->message}, {"tunnel", error->tunnel}});
    if (!pending_.empty() && (error->tunnel.empty() || !error->code.empty())) {
      auto p = pending_.front();
      pending_.pop_front();
      p->finished = true;
      p->error = error->message.empty() ? error->code : error->message;
      p->done.notify();
    }
    return;
  }
  log()->debug("ignoring a control message the agent does not expect");
}

void Agent::Impl::finish_pending(const std::string& error) {
  while (!pending_.empty()) {
    auto p = pending_.front();
    pending_.pop_front();
    p->finished = true;
    p->error = error;
    p->done.notify();
  }
}

asio::awaitable<core::Result<TunnelStatus>> Agent::Impl::add_tunnel(TunnelOptions options) {
  std::shared_ptr<TunnelRuntime> t;
  try {
    t = make_runtime(std::move(options));
  } catch (const std::exception& e) {
    log()->warn("cannot add tunnel: {}", e.what());
    co_return core::error_code(AgentErrc::invalid_options);
  }
  for (const auto& existing : tunnels_) {
    if (existing->options.name == t->options.name) {
      log()->warn("cannot add tunnel '{}': a tunnel of that name exists", t->options.name);
      co_return core::error_code(AgentErrc::invalid_options);
    }
  }
  tunnels_.push_back(t);
  if (!session_ || !session_->control_open()) co_return t->status();  // bound at next connect

  auto pending = std::make_shared<PendingBind>(io_.get_executor());
  pending->tunnel = t->options.name;
  pending_.push_back(pending);
  session_->send(protocol::BindMessage{{tunnel_request(*t)}});
  asio::steady_timer timeout(io_, kBindTimeout);
  timeout.async_wait([pending](const boost::system::error_code& ec) {
    if (!ec && !pending->finished) {
      pending->finished = true;
      pending->error = "the edge did not answer the bind request";
      pending->done.notify();
    }
  });
  while (!pending->finished) co_await pending->done.wait();
  timeout.cancel();
  if (!pending->error.empty()) {
    log()->warn("cannot add tunnel '{}': {}", t->options.name, pending->error);
    std::erase(tunnels_, t);
    std::erase(pending_, pending);
    co_return core::error_code(AgentErrc::rejected);
  }
  co_return t->status();
}

asio::awaitable<core::error_code> Agent::Impl::remove_tunnel(std::string name) {
  auto it = std::find_if(tunnels_.begin(), tunnels_.end(),
                         [&](const auto& t) { return t->options.name == name; });
  if (it == tunnels_.end()) co_return core::error_code(AgentErrc::invalid_options);
  auto t = *it;
  tunnels_.erase(it);
  if (session_ && t->online) session_->send(protocol::UnbindMessage{{t->public_name}});
  t->online = false;
  co_return core::error_code{};
}

// Agent: a thin handle.
Agent::Agent(asio::io_context& io, AgentOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}
Agent::~Agent() = default;
asio::awaitable<core::error_code> Agent::run() {
  auto impl = impl_;  // the coroutine keeps the state alive
  co_return co_await impl->run();
}
void Agent::stop() { impl_->stop(); }
std::vector<TunnelStatus> Agent::tunnels() const { return impl_->tunnels(); }
std::string Agent::start_inspector() { return impl_->start_inspector(); }
asio::awaitable<core::Result<TunnelStatus>> Agent::add_tunnel(TunnelOptions options) {
  auto impl = impl_;
  co_return co_await impl->add_tunnel(std::move(options));
}
asio::awaitable<core::error_code> Agent::remove_tunnel(std::string name) {
  auto impl = impl_;
  co_return co_await impl->remove_tunnel(std::move(name));
}
void Agent::set_events(Events events) { impl_->events = std::move(events); }
const std::string& Agent::last_error_message() const { return impl_->last_error; }

}  // namespace relay::agent
