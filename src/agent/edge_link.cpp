#include "agent/edge_link.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/connect_handshake.hpp"
#include "agent/tunnel_runtime.hpp"
#include "relay/agent/agent_error.hpp"
#include "relay/core/log.hpp"

namespace relay::agent {

namespace asio = boost::asio;
namespace protocol = net::protocol;

namespace {

// RST_STREAMs from the edge: a burst and a rate per second no edge reaches (see run()).
constexpr std::uint64_t kEdgeResetLimit = 1'000'000'000;

const std::shared_ptr<spdlog::logger>& log() {
  static const auto logger = core::logger("relay.agent");
  return logger;
}

std::string seconds(std::chrono::milliseconds d) {
  return fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1000.0);
}

}  // namespace

EdgeLink::EdgeLink(asio::io_context& io, const AgentOptions& options, LinkOwner& owner,
                   std::string_view edge, std::size_t address_index)
    : io_(io),
      options_(options),
      owner_(owner),
      dialer_(io.get_executor(), options, edge, address_index),
      backoff_({.initial = options.backoff_initial, .max = options.backoff_max}),
      sleep_timer_(io) {}

EdgeLink::~EdgeLink() = default;

void EdgeLink::set_state(std::string_view state, std::string_view detail) {
  state_ = std::string(state);
  owner_.on_link_state(*this, detail);
}

asio::awaitable<bool> EdgeLink::sleep(std::chrono::milliseconds delay) {
  if (stopping_) co_return false;
  sleep_timer_.expires_after(delay);
  co_await sleep_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !stopping_;
}

void EdgeLink::stop(std::chrono::steady_clock::duration drain) {
  stopping_ = true;
  sleep_timer_.cancel();
  if (session_) session_->shutdown(drain);
}

asio::awaitable<core::error_code> EdgeLink::run() {
  const std::string host = dialer_.endpoint().host;
  while (!stopping_ && !owner_.stopping()) {
    set_state("connecting", where());
    co_await owner_.wait_for_names(*this);
    auto stream = co_await dialer_.dial();
    std::string already_read;
    if (stream) {
      // Named, not a temporary: GCC 12 may destroy temporaries of a co_await expression twice.
      const auto request = owner_.connect_request(*this);
      auto upgraded = co_await connect_handshake(*stream, host, options_.authtoken, request);
      if (upgraded) {
        already_read = std::move(*upgraded);
      } else {
        stream = upgraded.error();
      }
    }
    if (!stream) {
      const DialFailure failure = stream.error();
      owner_.on_link_ended(*this);
      // A name held elsewhere right after our own session dropped is usually our old session
      // that the edge has not noticed yet: that one is worth retrying.
      bool permanent = failure.permanent && !(failure.ec == AgentErrc::name_taken && ever_online_);
      auto delay = backoff_.next();
      if (permanent) {
        failed_ = true;
        if (owner_.on_link_failed(*this, failure)) {
          set_state("stopped", failure.message);
          co_return failure.ec;
        }
        // Other edges still serve: this one keeps trying, slowly (an operator may fix it).
        delay = options_.backoff_max;
        core::log_event(
            *log(), spdlog::level::warn, "edge refused the session; the other edges keep serving",
            {{"edge", where()}, {"error", failure.message}, {"retry_in", seconds(delay)}});
      } else if (failure.retry_after.count() > 0) {
        // The edge said when (429): sooner is refused again, and retrying earlier only
        // prolongs a block that may be meant for another client at this address.
        delay = std::max<std::chrono::milliseconds>(delay, failure.retry_after);
        core::log_event(*log(), spdlog::level::warn,
                        fmt::format("{}; retrying in {}", failure.message, seconds(delay)),
                        {{"edge", where()}});
      } else {
        core::log_event(
            *log(), spdlog::level::warn,
            fmt::format("edge unreachable: {}; retrying in {}", failure.message, seconds(delay)),
            {{"edge", where()}});
      }
      set_state("reconnecting", failure.message);
      if (!co_await sleep(delay)) break;
      continue;
    }
    failed_ = false;

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
    const bool was_online = online();
    state_ = "reconnecting";  // not online any more, before the owner looks at the links
    names_.clear();
    owner_.on_link_ended(*this);
    if (stopping_ || owner_.stopping()) break;

    backoff_.session_ended(std::chrono::steady_clock::now() - started);
    auto delay = backoff_.next();
    const std::string why = reason ? reason.message() : "closed by the edge";
    core::log_event(
        *log(), spdlog::level::warn,
        fmt::format("session with the edge ended: {}; reconnecting in {}", why, seconds(delay)),
        {{"edge", where()}, {"was_online", was_online ? "true" : "false"}});
    set_state("reconnecting", why);
    if (!co_await sleep(delay)) break;
  }
  set_state("stopped", "");
  co_return core::error_code{};
}

void EdgeLink::session_established(const std::string& id) {
  session_id_ = id;
  ever_online_ = true;
  failed_ = false;
  backoff_.reset();
  set_state("online", id);
}

void EdgeLink::send(const protocol::ControlMessage& message) {
  if (session_) session_->send(message);
}

void EdgeLink::assign(const std::string& public_name,
                      const std::shared_ptr<TunnelRuntime>& tunnel) {
  names_[public_name] = tunnel;
}

void EdgeLink::unbind(const TunnelRuntime& tunnel) {
  for (auto it = names_.begin(); it != names_.end();) {
    auto t = it->second.lock();
    if (!t || t.get() == &tunnel) {
      if (t) send(protocol::UnbindMessage{{it->first}});
      it = names_.erase(it);
    } else {
      ++it;
    }
  }
}

std::shared_ptr<TunnelRuntime> EdgeLink::find_by_public_name(std::string_view name) {
  if (auto it = names_.find(name); it != names_.end()) {
    if (auto t = it->second.lock(); t && t->online) return t;
  }
  return owner_.find_by_public_name(name);
}

void EdgeLink::on_control(const protocol::ControlMessage& message) {
  owner_.on_link_control(*this, message);
}

}  // namespace relay::agent
