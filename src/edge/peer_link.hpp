#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "edge/stream_budget.hpp"
#include "edge/stream_target.hpp"
#include "relay/net/backoff.hpp"
#include "relay/net/h2_session.hpp"
#include "relay/net/tls.hpp"

namespace relay::edge {
struct EdgeState;
}

namespace relay::edge::peer {

class PeerDirectory;

// cluster: peer link. This edge's one connection to one peer edge, in the HTTP/2 client role:
// TLS, the secret proof, then a multiplexed session carrying every request this edge forwards
// to that peer (streams both ways, flow-controlled end to end, PINGs like the agent session).
// Connected on first use; after a failure the next attempt waits a backoff (requests meanwhile
// do not wait: they are answered at once). Lives on the io thread.
class PeerLink : public StreamTarget, public std::enable_shared_from_this<PeerLink> {
 public:
  PeerLink(std::shared_ptr<EdgeState> state, std::shared_ptr<PeerDirectory> directory,
           net::TlsContextPtr tls, std::string peer_edge_id);

  // True once a live session exists (connecting now if needed and allowed by the backoff).
  boost::asio::awaitable<bool> ready();
  [[nodiscard]] bool connected() const { return h2_ && h2_->is_open(); }
  void close();

  boost::asio::awaitable<StreamBudget::Ticket> reserve_stream() override;
  core::Result<std::shared_ptr<net::H2Stream>> open_stream(core::Headers headers, bool end_stream,
                                                           net::FieldNames names) override;
  [[nodiscard]] std::string_view via_edge() const override { return peer_id_; }

 private:
  boost::asio::awaitable<void> connect();
  boost::asio::awaitable<std::string> connect_once();  // "" on success, else why not
  boost::asio::awaitable<void> run_session(std::shared_ptr<net::H2Session> h2);
  void failed(const std::string& why);

  std::shared_ptr<EdgeState> state_;  // a connect in flight outlives the network's close()
  std::shared_ptr<PeerDirectory> directory_;
  net::TlsContextPtr tls_;
  std::string peer_id_;
  std::shared_ptr<net::H2Session> h2_;
  StreamBudget budget_;
  net::Backoff backoff_;
  std::chrono::steady_clock::time_point retry_at_{};
  bool connecting_ = false;
  bool closed_ = false;
  bool reported_down_ = false;
  // Requests that find a connect in progress wait on this timer; the connect's end cancels it
  // (every waiter wakes: an AsyncEvent wakes one).
  boost::asio::steady_timer connect_gate_;
};

}  // namespace relay::edge::peer
