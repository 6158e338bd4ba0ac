// The agent's links to its edges (high availability, docs/cluster.md): each EdgeLink runs its
// own reconnect loop; here they are started and stopped together, their control messages
// applied to the shared tunnels, and their states folded into the agent's one session state.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include "agent/agent_impl.hpp"
#include "agent/agent_inspector.hpp"
#include "agent/tunnel_runtime.hpp"
#include "agent/upstream_pool.hpp"
#include "relay/core/log.hpp"
#include "relay/inspect/error.hpp"

namespace relay::agent {

namespace asio = boost::asio;
namespace protocol = net::protocol;

namespace {

constexpr auto kDrain = std::chrono::seconds{10};
// How long a link waits for another to learn the random names before asking on its own.
constexpr auto kNameWait = std::chrono::seconds{10};
constexpr auto kNamePoll = std::chrono::milliseconds{50};

const std::shared_ptr<spdlog::logger>& log() {
  static const auto logger = core::logger("relay.agent");
  return logger;
}

}  // namespace

asio::awaitable<core::error_code> Agent::Impl::run() {
  // Every link in its own coroutine; run() returns when all have ended.
  net::AsyncEvent all_done(io_.get_executor());
  std::size_t running = links_.size();
  core::error_code result;
  for (auto& link : links_) {
    asio::co_spawn(io_.get_executor(), link->run(),
                   [&](const std::exception_ptr& e, core::error_code ec) {
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         log()->error("an edge link failed: {}", ex.what());
                       }
                     }
                     if (ec) result = ec;
                     if (--running == 0) all_done.notify();
                   });
  }
  while (running > 0) co_await all_done.wait();
  for (const auto& tunnel : tunnels_) tunnel->pool->close();
  if (session_state_ != "stopped") state("stopped", result ? last_error : "");
  if (inspector_) inspector_->stop();
  co_return result;
}

void Agent::Impl::stop() {
  if (stopping_) return;
  stopping_ = true;
  for (auto& link : links_) link->stop(kDrain);
  if (inspector_) inspector_->stop();
}

bool Agent::Impl::on_link_failed(EdgeLink& link, const DialFailure& failure) {
  for (const auto& l : links_) {
    if (!l->failed()) return false;
  }
  (void)link;
  // Every edge refused: nothing serves, and retrying is not expected to help.
  last_error = failure.message;
  stopping_ = true;
  for (auto& l : links_) l->stop(kDrain);
  return true;
}

asio::awaitable<void> Agent::Impl::wait_for_names(EdgeLink& link) {
  auto names_pending = [this] {
    return std::any_of(tunnels_.begin(), tunnels_.end(),
                       [](const auto& t) { return t->requested_name.empty(); });
  };
  if (links_.size() < 2) co_return;
  const auto deadline = std::chrono::steady_clock::now() + kNameWait;
  asio::steady_timer poll(io_);
  while (!stopping_ && names_pending() && naming_ != nullptr && naming_ != &link &&
         std::chrono::steady_clock::now() < deadline) {
    poll.expires_after(kNamePoll);
    co_await poll.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (names_pending()) naming_ = &link;
}

protocol::ConnectRequest Agent::Impl::connect_request(const EdgeLink& link) const {
  protocol::ConnectRequest r;
  r.agent_version = options_.version;
  for (const auto& t : tunnels_) r.tunnels.push_back(tunnel_request(*t));
  r.resume = link.session_id();
  return r;
}

std::size_t Agent::Impl::links_online(const EdgeLink* except) const {
  return static_cast<std::size_t>(std::count_if(links_.begin(), links_.end(), [&](const auto& l) {
    return l.get() != except && l->online();
  }));
}

EdgeLink* Agent::Impl::live_link() const {
  for (const auto& l : links_) {
    if (l->live()) return l.get();
  }
  return nullptr;
}

void Agent::Impl::state(std::string_view s, std::string_view detail) {
  if (s == session_state_ && detail == session_detail_ && links_.size() > 1) return;
  session_state_ = std::string(s);
  session_detail_ = std::string(detail);
  metrics_.session_state(s);
  if (events.session_state) events.session_state(s, detail);
}

void Agent::Impl::on_link_state(EdgeLink& link, std::string_view detail) {
  // One link: its states are the agent's, as before there were several.
  if (links_.size() == 1) {
    state(link.state(), detail);
    return;
  }
  const std::size_t online = links_online();
  if (online > 0) {
    state("online", fmt::format("{}/{} edges", online, links_.size()));
  } else if (std::all_of(links_.begin(), links_.end(),
                         [](const auto& l) { return l->state() == "stopped"; })) {
    state("stopped", last_error);
  } else if (std::all_of(links_.begin(), links_.end(),
                         [](const auto& l) { return l->state() == "connecting"; })) {
    state("connecting", detail);
  } else {
    state("reconnecting", detail);
  }
}

void Agent::Impl::on_link_ended(EdgeLink& link) {
  if (naming_ == &link) naming_ = nullptr;
  for (auto& p : link.pending()) {
    if (p->awaiting > 0) --p->awaiting;
    if (!p->finished && p->awaiting == 0) {
      p->finished = true;
      p->error = "the session with the edge ended before it answered";
      p->done.notify();
    }
  }
  link.pending().clear();
  finish_queries(link, inspect::Errc::no_session);
  // A tunnel stays online while any link is.
  if (links_online(&link) == 0) {
    for (auto& t : tunnels_) t->online = false;
  }
}

std::shared_ptr<TunnelRuntime> Agent::Impl::find_by_public_name(std::string_view name) {
  for (auto& t : tunnels_) {
    if (t->online && t->public_name == name) return t;
  }
  // A single tunnel serves whatever the edge routes to this session.
  if (name.empty() && tunnels_.size() == 1) return tunnels_.front();
  return nullptr;
}

void Agent::Impl::apply(EdgeLink& link, const std::shared_ptr<TunnelRuntime>& tunnel,
                        const protocol::TunnelInfo& info) {
  auto& t = *tunnel;
  link.assign(info.name, tunnel);
  // Another link has the tunnel online already: this edge only has to agree with it.
  if (links_online(&link) > 0 && t.online && !t.public_url.empty()) {
    if (info.name != t.public_name) {
      // The name was asked for, so this edge had it taken (or refuses it): its URL differs.
      core::log_event(*log(), spdlog::level::warn,
                      "this edge assigned the tunnel a different name than the other edge: "
                      "requests to the other URL through this edge will not reach the app; pick "
                      "a name with --url (or url: in relay.yml) that is free on every edge",
                      {{"edge", link.where()},
                       {"name", t.options.name},
                       {"url", info.public_url},
                       {"other_url", t.public_url}});
    } else {
      core::log_event(*log(), spdlog::level::info, "tunnel online on another edge",
                      {{"edge", link.where()}, {"name", t.options.name}, {"url", info.public_url}});
    }
    return;
  }
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

void Agent::Impl::on_session(EdgeLink& link, const protocol::SessionMessage& session) {
  if (links_online(&link) == 0) {
    // ngrok's wording, before its tunnels' lines: client libraries wait for this line.
    core::log_event(*log(), spdlog::level::info, "client session established", {{"obj", "csess"}});
  }
  if (links_.size() > 1) {
    core::log_event(*log(), spdlog::level::info, "edge link online",
                    {{"edge", link.where()}, {"address", link.address()}});
  }
  std::vector<bool> used(tunnels_.size(), false);
  std::vector<const protocol::TunnelInfo*> unmatched;
  for (const auto& info : session.tunnels) {
    bool found = false;
    for (std::size_t i = 0; i < tunnels_.size(); ++i) {
      if (!used[i] && !tunnels_[i]->requested_name.empty() &&
          tunnels_[i]->requested_name == info.name) {
        used[i] = found = true;
        apply(link, tunnels_[i], info);
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
    apply(link, tunnels_[i], *info);
  }
  if (naming_ == &link) naming_ = nullptr;
  link.session_established(session.id);
}

void Agent::Impl::on_bound(EdgeLink& link, const protocol::BoundMessage& bound) {
  for (const auto& info : bound.tunnels) {
    if (link.pending().empty()) break;
    auto p = link.pending().front();
    link.pending().pop_front();
    if (p->awaiting > 0) --p->awaiting;
    auto t = find_by_name(p->tunnel);
    if (t) {
      apply(link, t, info);
    } else {
      // Refused elsewhere first (the first answer decides): not bound here either.
      link.send(protocol::UnbindMessage{{info.name}});
    }
    if (!p->finished) {
      p->finished = true;
      p->done.notify();
    }
  }
}

void Agent::Impl::on_error(EdgeLink& link, const protocol::ErrorMessage& error) {
  core::log_event(*log(), spdlog::level::warn, "edge reported an error",
                  {{"code", error.code},
                   {"message", error.message},
                   {"tunnel", error.tunnel},
                   {"edge", link.where()}});
  if (!link.pending().empty() && (error.tunnel.empty() || !error.code.empty())) {
    auto p = link.pending().front();
    link.pending().pop_front();
    if (p->awaiting > 0) --p->awaiting;
    if (!p->finished) {
      p->finished = true;
      p->error = error.message.empty() ? error.code : error.message;
      p->done.notify();
    }
  }
}

void Agent::Impl::on_link_control(EdgeLink& link, const protocol::ControlMessage& message) {
  if (const auto* session = std::get_if<protocol::SessionMessage>(&message)) {
    on_session(link, *session);
  } else if (const auto* bound = std::get_if<protocol::BoundMessage>(&message)) {
    on_bound(link, *bound);
  } else if (on_queue_answer(message)) {
    return;
  } else if (const auto* error = std::get_if<protocol::ErrorMessage>(&message)) {
    on_error(link, *error);
  } else {
    log()->debug("ignoring a control message the agent does not expect");
  }
}

}  // namespace relay::agent
