#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/agent_session.hpp"
#include "agent/edge_dialer.hpp"
#include "relay/net/async_event.hpp"
#include "relay/net/backoff.hpp"

namespace relay::agent {

struct TunnelRuntime;
class EdgeLink;

// A bind (runtime add_tunnel) sent to every live link: the first answer decides, the others
// only bind the tunnel on their edge too (agent.cpp).
struct PendingBind {
  explicit PendingBind(const boost::asio::any_io_executor& ex) : done(ex) {}
  std::string tunnel;  // local name
  net::AsyncEvent done;
  bool finished = false;
  std::string error;
  std::size_t awaiting = 0;  // links that have not answered yet
};

// What a link needs from the agent that owns it (Agent::Impl): the tunnels, and a say in when
// to connect and when to give up.
class LinkOwner {
 public:
  virtual ~LinkOwner() = default;
  [[nodiscard]] virtual bool stopping() const = 0;
  // Waits while another link is asking for random names, so that every edge is asked for the
  // name the first one assigned.
  virtual boost::asio::awaitable<void> wait_for_names(EdgeLink& link) = 0;
  [[nodiscard]] virtual net::protocol::ConnectRequest connect_request(
      const EdgeLink& link) const = 0;
  virtual std::shared_ptr<TunnelRuntime> find_by_public_name(std::string_view name) = 0;
  virtual void on_link_control(EdgeLink& link, const net::protocol::ControlMessage& message) = 0;
  virtual void on_link_state(EdgeLink& link, std::string_view detail) = 0;
  // The link's session (or its attempt) ended: what it had in flight fails.
  virtual void on_link_ended(EdgeLink& link) = 0;
  // A failure retrying is not expected to fix (auth failed, ...). True: every link has one,
  // and the agent stops.
  virtual bool on_link_failed(EdgeLink& link, const DialFailure& failure) = 0;
};

// One session with one edge and its own reconnect loop: EdgeDialer + connect_handshake +
// AgentSession, net::Backoff between attempts, its own resume id. The agent runs one per
// ha_connections (docs/cluster.md § agents on several edges). Everything on the io thread.
class EdgeLink final : public SessionHost {
 public:
  EdgeLink(boost::asio::io_context& io, const AgentOptions& options, LinkOwner& owner,
           std::string_view edge, std::size_t address_index);
  ~EdgeLink() override;
  EdgeLink(const EdgeLink&) = delete;
  EdgeLink& operator=(const EdgeLink&) = delete;

  // Reconnects until stop() (success) or a permanent failure the owner says ends the agent.
  boost::asio::awaitable<core::error_code> run();
  // GOAWAY with `drain` for the requests in flight; a sleeping link wakes and ends.
  void stop(std::chrono::steady_clock::duration drain);

  [[nodiscard]] bool online() const { return state_ == "online"; }
  [[nodiscard]] bool live() const { return session_ && session_->control_open(); }
  [[nodiscard]] bool failed() const { return failed_; }
  [[nodiscard]] const std::string& state() const { return state_; }
  [[nodiscard]] std::string where() const { return dialer_.where(); }
  [[nodiscard]] const std::string& address() const { return dialer_.connected_address(); }
  [[nodiscard]] const std::optional<std::string>& session_id() const { return session_id_; }

  // For the owner's control handling.
  void send(const net::protocol::ControlMessage& message);
  void session_established(const std::string& id);
  // The name this link's edge routes to `tunnel` (it may differ from the tunnel's URL).
  void assign(const std::string& public_name, const std::shared_ptr<TunnelRuntime>& tunnel);
  // Sends unbind for every name this link's edge holds for `tunnel`.
  void unbind(const TunnelRuntime& tunnel);
  std::deque<std::shared_ptr<PendingBind>>& pending() { return pending_; }

  std::shared_ptr<TunnelRuntime> find_by_public_name(std::string_view name) override;
  void on_control(const net::protocol::ControlMessage& message) override;

 private:
  void set_state(std::string_view state, std::string_view detail);
  boost::asio::awaitable<bool> sleep(std::chrono::milliseconds delay);  // false: stopped

  boost::asio::io_context& io_;
  const AgentOptions& options_;
  LinkOwner& owner_;
  EdgeDialer dialer_;
  net::Backoff backoff_;
  std::shared_ptr<AgentSession> session_;
  std::optional<std::string> session_id_;
  std::deque<std::shared_ptr<PendingBind>> pending_;
  std::map<std::string, std::weak_ptr<TunnelRuntime>, std::less<>> names_;  // this edge's
  boost::asio::steady_timer sleep_timer_;
  std::string state_ = "connecting";
  bool ever_online_ = false;
  bool failed_ = false;  // the last attempt failed permanently
  bool stopping_ = false;
};

}  // namespace relay::agent
