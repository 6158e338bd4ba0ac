#include "relay/agent/agent.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/agent_impl.hpp"
#include "agent/agent_inspector.hpp"
#include "agent/connect_handshake.hpp"
#include "agent/tunnel_pipeline.hpp"
#include "agent/upstream_pool.hpp"
#include "agent/verifier_factory.hpp"
#include "relay/agent/tunnel_name.hpp"
#include "relay/core/log.hpp"
#include "relay/inspect/error.hpp"

namespace relay::agent {

namespace asio = boost::asio;
namespace protocol = net::protocol;

namespace {

constexpr auto kBindTimeout = std::chrono::seconds{10};
// The build's version (CMakeLists.txt sets it on this file only, from project(VERSION)).
constexpr std::string_view kAgentVersion = RELAY_VERSION;
constexpr std::size_t kMaxLinks = 8;

const std::shared_ptr<spdlog::logger>& log() {
  static const auto logger = core::logger("relay.agent");
  return logger;
}

// Link i goes to edges[i % n], and to the (i / n)-th address that name resolves to: two
// edges and two links give one link each; one name with several addresses, one per address.
std::vector<std::unique_ptr<EdgeLink>> make_links(asio::io_context& io, AgentOptions& options,
                                                  LinkOwner& owner) {
  if (options.edges.empty()) {
    throw std::runtime_error(
        "no edge to connect to: pass --edge HOST:PORT (or edge:/edges: in relay.yml)");
  }
  const std::size_t n = options.edges.size();
  if (options.ha_connections == 0) options.ha_connections = n >= 2 ? 2 : 1;
  if (options.ha_connections > kMaxLinks) {
    throw std::runtime_error("ha_connections is " + std::to_string(options.ha_connections) +
                             ": use 1 to " + std::to_string(kMaxLinks));
  }
  std::vector<std::unique_ptr<EdgeLink>> links;
  for (std::size_t i = 0; i < options.ha_connections; ++i) {
    links.push_back(std::make_unique<EdgeLink>(io, options, owner, options.edges[i % n], i / n));
  }
  return links;
}

}  // namespace

Agent::Impl::Impl(asio::io_context& io, AgentOptions options)
    : io_(io), options_(std::move(options)), links_(make_links(io, options_, *this)) {
  if (options_.version.empty()) options_.version = std::string(kAgentVersion);
  if (!options_.inspect_addr.empty()) {
    inspector_ = std::make_unique<AgentInspector>(*this, metrics_, io.get_executor(), options_);
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
  std::string out;
  for (const auto& edge : options_.edges) out += (out.empty() ? "" : ",") + edge;
  return out;
}

std::vector<inspect::LinkStatus> Agent::Impl::link_status() const {
  std::vector<inspect::LinkStatus> out;
  for (const auto& link : links_) out.push_back({link->where(), link->address(), link->state()});
  return out;
}

std::shared_ptr<TunnelRuntime> Agent::Impl::make_runtime(TunnelOptions options) {
  auto t = std::make_shared<TunnelRuntime>();
  t->options = std::move(options);
  auto upstream = parse_upstream_address(t->options.addr);
  if (!upstream) throw std::runtime_error(upstream.error().message);
  t->upstream = *upstream;
  auto name = requested_tunnel_name(t->options.url);
  if (!name) throw std::runtime_error(name.error().message);
  t->requested_name = *name;
  if (t->options.name.empty()) t->options.name = name->empty() ? "http" : *name;
  t->pool = std::make_shared<UpstreamPool>(io_.get_executor(), t->upstream, options_.limits,
                                           t->options.upstream_tls_verify);
  t->events = &events;
  t->metrics = &metrics_;
  if (t->options.verify_webhook) {
    t->signer = make_verifier(*t->options.verify_webhook);
    const core::Headers none;
    const core::RequestView probe{"POST", "https://relay.invalid/", none, "{}"};
    t->can_resign = t->signer->sign(probe, core::Clock::now()).has_value();
  }
  PipelineInputs inputs{.limits = options_.limits};
  if (inspector_) {
    inputs.captures = &inspector_->store();
    inputs.capture_body_limit = inspector_->body_limit();
  }
  t->pipeline = build_pipeline(*t, inputs);
  return t;
}

std::vector<TunnelStatus> Agent::Impl::tunnels() const {
  std::vector<TunnelStatus> out;
  for (const auto& t : tunnels_) out.push_back(t->status());
  return out;
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
  // Every live link binds it; the first answer decides (the others bind it on their edge too,
  // or say why not in a warning). Links that come later bind it in their connect request.
  auto pending = std::make_shared<PendingBind>(io_.get_executor());
  pending->tunnel = t->options.name;
  for (auto& link : links_) {
    if (!link->live()) continue;
    link->pending().push_back(pending);
    ++pending->awaiting;
    link->send(protocol::BindMessage{{tunnel_request(*t)}});
  }
  if (pending->awaiting == 0) co_return t->status();  // bound at next connect
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
    for (auto& link : links_) {
      std::erase(link->pending(), pending);
      link->unbind(*t);  // an edge that did bind it
    }
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
  for (auto& link : links_) link->unbind(*t);
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
