#include "edge/peer_serve.hpp"

#include <fmt/format.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>

#include "edge/agent_session.hpp"
#include "edge/edge_state.hpp"
#include "edge/peer_protocol.hpp"
#include "relay/core/error_page.hpp"
#include "relay/core/log.hpp"
#include "relay/edge/peer_address.hpp"
#include "relay/net/deadline.hpp"
#include "relay/net/error.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge::peer {

namespace asio = boost::asio;
namespace codes = core::error_codes;
namespace protocol = net::protocol;

namespace {

constexpr std::uint32_t kNoError = 0;

class PeerExchange {
 public:
  PeerExchange(std::shared_ptr<EdgeState> state, std::shared_ptr<net::H2Stream> in,
               std::string peer_id)
      : state_(std::move(state)),
        in_(std::move(in)),
        peer_id_(std::move(peer_id)),
        deadline_(state_->executor) {}

  asio::awaitable<void> run();

 private:
  asio::awaitable<void> proxy(AgentSession& session);
  asio::awaitable<void> upload();
  asio::awaitable<void> respond();
  asio::awaitable<void> answer(int status, std::string_view code, std::string message);
  void finish();
  void log(int status, std::string_view code);

  std::shared_ptr<EdgeState> state_;
  std::shared_ptr<net::H2Stream> in_;   // from the peer edge
  std::shared_ptr<net::H2Stream> out_;  // to the local agent
  std::string peer_id_;
  std::string tunnel_ = "-";
  net::Deadline deadline_;
  bool upload_done_ = false;
  bool upload_failed_ = false;  // the peer's side went away or broke mid-body
  bool too_large_ = false;
  bool timed_out_ = false;
  int status_ = 0;
  std::string_view code_;
};

asio::awaitable<void> PeerExchange::answer(int status, std::string_view code, std::string message) {
  status_ = status;
  code_ = code;
  const auto accept = in_->headers().get("accept").value_or("");
  auto page = core::render_error_page({status, code, std::move(message)}, accept);
  core::Headers headers{{"content-type", page.content_type},
                        {std::string(core::kRelayErrorCodeHeader), std::string(code)},
                        {"content-length", std::to_string(page.body.size())}};
  if (in_->respond(status, std::move(headers), page.body.empty())) co_return;
  if (!page.body.empty()) co_await in_->write(page.body, true);
}

// A request body left unread after the answer: RST_STREAM NO_ERROR (RFC 9113 §8.1) tells the
// forwarding edge to stop sending it, after the answer's frames.
void PeerExchange::finish() {
  if (!upload_done_ && !in_->closed()) in_->reset(kNoError);
}

void PeerExchange::log(int status, std::string_view code) {
  const auto& h = in_->headers();
  core::log_request_event(*state_->log, status >= 500 ? spdlog::level::warn : spdlog::level::info,
                          "peer request",
                          {{"method", h.get(":method").value_or("")},
                           {"path", h.get(":path").value_or("")},
                           {"status", status},
                           {"tunnel", tunnel_},
                           {"peer", peer_id_},
                           {"code", code.empty() ? std::string_view("-") : code}});
}

asio::awaitable<void> PeerExchange::run() {
  const auto& headers = in_->headers();
  upload_done_ = in_->body_complete();
  auto name = state_->router.route(headers.get(":authority").value_or(""));
  if (!name || !headers.contains(kHopHeader)) {
    co_await answer(
        404, codes::tunnel_not_found,
        fmt::format("no tunnel serves the host '{}'", headers.get(":authority").value_or("")));
  } else {
    tunnel_ = *name;
    // The forwarding edge decided the client address; an authenticated peer is trusted to.
    boost::system::error_code ec;
    auto client = asio::ip::make_address(
        remote_addr_ip(headers.get(protocol::kRemoteAddrHeader).value_or("")).value_or(""), ec);
    if (!ec && client.is_v6() && client.to_v6().is_v4_mapped()) {
      client = asio::ip::make_address_v4(asio::ip::v4_mapped, client.to_v6());
    }
    const auto* rules = state_->ip_rules.find(*name);
    auto found = state_->registry.lookup(*name, std::chrono::steady_clock::now());
    if (ec) {
      co_await answer(400, codes::bad_request, "the forwarded request has no client address");
    } else if (rules != nullptr && !rules->permits(client)) {
      co_await answer(
          403, codes::ip_denied,
          fmt::format("tunnel '{}' does not accept requests from your address (its ip_allow / "
                      "ip_deny rules); ask the tunnel's owner to allow it",
                      *name));
    } else if (found.state != SessionRegistry::State::live || !found.session) {
      // Exactly one hop: whatever this edge has, it does not forward again.
      co_await answer(found.state == SessionRegistry::State::lost ? 502 : 404,
                      found.state == SessionRegistry::State::lost ? codes::agent_session_lost
                                                                  : codes::tunnel_not_found,
                      fmt::format("tunnel '{}' is not online (its agent left the edge that held "
                                  "it); start it with 'relay http 3000 --url {}'",
                                  *name, *name));
    } else if (auto slot = state_->requests_per_ip.try_acquire(client); !slot) {
      co_await answer(429, codes::too_many_requests,
                      fmt::format("this address has {} requests in flight through the edge, the "
                                  "most it allows; wait for answers before sending more",
                                  state_->options.limits.max_requests_per_ip));
    } else {
      auto session = found.session;
      co_await proxy(*session);
    }
  }
  finish();
  log(status_, code_);
}

asio::awaitable<void> PeerExchange::proxy(AgentSession& session) {
  using namespace asio::experimental::awaitable_operators;
  auto ticket = co_await session.reserve_stream();
  if (!ticket.valid()) {
    co_await answer(503, codes::tunnel_busy,
                    fmt::format("tunnel '{}' is handling as many requests as its agent allows; "
                                "retry in a few seconds",
                                tunnel_));
    co_return;
  }
  core::Headers headers;
  for (const auto& f : in_->headers()) {
    if (f.name == kHopHeader || f.name == protocol::kTunnelHeader) continue;
    headers.add(f.name, f.value);
  }
  headers.add(std::string(protocol::kTunnelHeader), tunnel_);
  auto opened = session.open_stream(std::move(headers), upload_done_, net::FieldNames::any_case);
  if (!opened) {
    co_await answer(
        opened.error() == net::Errc::refused ? 503 : 502,
        opened.error() == net::Errc::refused ? codes::shutting_down : codes::agent_session_lost,
        fmt::format("the agent for tunnel '{}' is reconnecting or disconnected; retry in a moment",
                    tunnel_));
    co_return;
  }
  out_ = *opened;
  if (upload_done_) {
    deadline_.arm(state_->options.limits.response_timeout, [this] {
      timed_out_ = true;
      out_->reset();
    });
    co_await respond();
  } else {
    co_await (upload() && respond());
  }
}

asio::awaitable<void> PeerExchange::upload() {
  std::string chunk;
  std::uint64_t total = 0;
  const auto limit = state_->options.limits.max_body_bytes;
  for (;;) {
    if (co_await in_->read(chunk)) {
      upload_failed_ = true;
      out_->reset();
      co_return;
    }
    const bool fin = chunk.empty();
    total += chunk.size();
    if (limit > 0 && total > limit) {
      too_large_ = true;
      out_->reset();
      co_return;
    }
    // write() waits while the agent's window is closed; reading is what reopens the peer's.
    if (co_await out_->write(chunk, fin)) co_return;
    if (fin) break;
  }
  upload_done_ = true;
  if (out_->status() == 0 && !out_->closed()) {
    deadline_.arm(state_->options.limits.response_timeout, [this] {
      timed_out_ = true;
      out_->reset();
    });
  }
}

asio::awaitable<void> PeerExchange::respond() {
  auto ec = co_await out_->wait_headers();
  deadline_.disarm();
  if (ec) {
    if (upload_failed_) {
      in_->reset();
    } else if (too_large_) {
      co_await answer(413, codes::body_too_large,
                      fmt::format("the request body is larger than this edge accepts ({} bytes)",
                                  state_->options.limits.max_body_bytes));
    } else if (timed_out_) {
      co_await answer(504, codes::upstream_timeout,
                      fmt::format("the app behind tunnel '{}' did not answer within {} s", tunnel_,
                                  state_->options.limits.response_timeout.count()));
    } else if (ec == net::Errc::refused) {
      co_await answer(503, codes::shutting_down,
                      fmt::format("the agent for tunnel '{}' is reconnecting or shutting down; "
                                  "retry in a moment",
                                  tunnel_));
    } else if (ec == net::Errc::stream_reset) {
      co_await answer(502, codes::upstream_failed,
                      fmt::format("the agent for tunnel '{}' abandoned the request; check the "
                                  "agent's log",
                                  tunnel_));
    } else {
      co_await answer(502, codes::agent_session_lost,
                      fmt::format("the agent for tunnel '{}' disconnected while handling the "
                                  "request; retry once it reconnects",
                                  tunnel_));
    }
    co_return;
  }
  status_ = out_->status();
  core::Headers headers;
  for (const auto& f : out_->headers()) {
    if (!f.name.starts_with(':')) headers.add(f.name, f.value);
  }
  const bool no_body = out_->body_complete();
  if (in_->respond(status_, std::move(headers), no_body)) {
    out_->reset();
    co_return;
  }
  if (no_body) co_return;
  std::string chunk;
  for (;;) {
    if (co_await out_->read(chunk)) {
      in_->reset();  // the body is cut: the forwarding edge closes its caller's connection
      co_return;
    }
    const bool fin = chunk.empty();
    if (co_await in_->write(chunk, fin)) {
      out_->reset();
      co_return;
    }
    if (fin) break;
  }
}

}  // namespace

asio::awaitable<void> serve_peer_stream(std::shared_ptr<EdgeState> state,
                                        std::shared_ptr<net::H2Stream> in, std::string peer_id) {
  PeerExchange exchange(std::move(state), std::move(in), std::move(peer_id));
  co_await exchange.run();
}

}  // namespace relay::edge::peer
