#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "relay/net/h2_session.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::agent {

struct TunnelRuntime;

// What a session needs from its owner: tunnel lookup and the control messages it receives.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual std::shared_ptr<TunnelRuntime> find_by_public_name(std::string_view name) = 0;
  virtual void on_control(const net::protocol::ControlMessage& message) = 0;
};

// One HTTP/2 connection with the edge, agent = server role (relay/1 steps 4-6). Stream 1 is
// the control stream (newline-delimited JSON both ways); every other stream is a public
// request, served by its tunnel's pipeline in its own coroutine. Single-threaded: everything
// runs on the io thread that owns the H2Session.
class AgentSession : public std::enable_shared_from_this<AgentSession> {
 public:
  AgentSession(std::shared_ptr<net::H2Session> h2, SessionHost& host);
  ~AgentSession();

  // Serves until the connection ends; returns why.
  boost::asio::awaitable<core::error_code> run();

  // Queues a control message (bind/unbind); sent once the control stream is open.
  void send(const net::protocol::ControlMessage& message);
  [[nodiscard]] bool control_open() const { return control_ != nullptr; }

  // GOAWAY, ends the control stream, lets requests in flight finish for up to `drain`, then
  // closes the connection.
  void shutdown(std::chrono::steady_clock::duration drain);
  void close();

 private:
  void on_stream(std::shared_ptr<net::H2Stream> stream);
  // A request for a tunnel this agent does not know (yet): see the definition.
  static boost::asio::awaitable<void> serve_after_control(std::shared_ptr<AgentSession> self,
                                                          std::shared_ptr<net::H2Stream> stream);
  // Wakes those requests: a batch of control lines was applied, or the session ended.
  void wake_awaiting_control();
  // Ends the control stream, so that the session ends once the requests in flight are done.
  void end_control();
  boost::asio::awaitable<void> control_loop(std::shared_ptr<net::H2Stream> stream);
  boost::asio::awaitable<void> write_loop();

  std::shared_ptr<net::H2Session> h2_;
  SessionHost& host_;
  std::shared_ptr<net::H2Stream> control_;
  std::string outbox_;  // control messages not yet written
  bool writing_ = false;
  bool stopping_ = false;
  boost::asio::steady_timer drain_timer_;
  // The wake-up timers of requests waiting in serve_after_control (each erases its own).
  std::vector<boost::asio::steady_timer*> awaiting_control_;
};

}  // namespace relay::agent
