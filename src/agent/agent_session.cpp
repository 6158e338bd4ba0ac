#include "agent/agent_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/exchange.hpp"
#include "agent/header_mapping.hpp"
#include "agent/pipeline.hpp"
#include "agent/tunnel_runtime.hpp"
#include "relay/core/content_length.hpp"
#include "relay/core/error_page.hpp"
#include "relay/core/log.hpp"
#include "relay/net/control_lines.hpp"

namespace relay::agent {

namespace asio = boost::asio;
namespace protocol = net::protocol;

namespace {

// The edge's lines can be long (a session message lists every tunnel, a queue answer up to a
// page of deliveries); the edge bounds what it takes from agents far lower (64 KiB).
constexpr std::size_t kMaxControlLine = 1024 * 1024;

// Logs what escaped a request or control coroutine; such an escape is a bug, not a condition.
auto log_escape(std::string_view what) {
  return [what](const std::exception_ptr& e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      core::logger("relay.agent")->error("{} failed: {}", what, ex.what());
    }
  };
}

// The exchange's request line and delivery fields, from its stream's headers; the reason when a
// delivery's fields are malformed. Not in serve_request itself: its locals would sit in the
// coroutine frame, which Asio recycles only up to ~1 KB (a larger one is malloc'd per request).
std::optional<std::string> read_request_fields(Exchange& x) {
  const auto facts = request_facts(x.stream->headers());  // one pass, not one per field read
  x.method = facts.method.value_or("GET");
  x.path = facts.path.value_or("/");
  x.authority = facts.authority_or_host();
  x.scheme = facts.scheme.value_or("http");
  x.request_id = facts.request_id.value_or("");
  x.remote_addr = facts.remote_addr;
  x.fields_read = facts.connection.empty();  // HTTP/2 has none: nghttp2 refuses such a request
  if (facts.content_length) x.content_length = core::parse_content_length(*facts.content_length);
  // Not a delivery (the usual case): no need for read_delivery_headers' pass to find that out.
  if (!facts.delivery_id) return std::nullopt;
  auto delivery = read_delivery_headers(x.stream->headers());
  if (!delivery) return delivery.error().message;
  x.delivery = std::move(*delivery);
  return std::nullopt;
}

// What on_stream dispatches on: the stream's :path and relay-tunnel fields ("" when absent; the
// first of each, as Headers::get), in one pass over the fields instead of one get() for each.
// Exact comparisons, not iequals (an out-of-line call for every field of the same length, such
// as content-type): nghttp2 refuses a received field name with upper case (RFC 9113 8.2.1), so
// they find what Headers::get would.
struct StreamRoute {
  std::string_view path;
  std::string_view tunnel;
};

StreamRoute route_of(const core::Headers& headers) {
  StreamRoute route;
  bool path_seen = false;
  bool tunnel_seen = false;
  for (const auto& f : headers) {
    if (!path_seen && f.name == ":path") {
      route.path = f.value;
      path_seen = true;
    } else if (!tunnel_seen && f.name == protocol::kTunnelHeader) {
      route.tunnel = f.value;
      tunnel_seen = true;
    }
    if (path_seen && tunnel_seen) break;
  }
  return route;
}

asio::awaitable<void> serve_request(std::shared_ptr<net::H2Stream> stream,
                                    std::shared_ptr<TunnelRuntime> tunnel) {
  Exchange x;
  x.started = std::chrono::steady_clock::now();
  x.stream.emplace(std::in_place, std::move(stream));
  x.tunnel = std::move(tunnel);
  if (auto delivery_error = read_request_fields(x)) {
    // Without a trustworthy received-at a signature's freshness cannot be judged: refused, and
    // the edge dead-letters it with this message (a 4xx is final).
    core::logger("relay.agent")
        ->warn("refusing a delivery from the edge on tunnel {}: {}", x.tunnel->options.name,
               *delivery_error);
    // Named, not a temporary: GCC 12 may destroy temporaries of a co_await expression twice.
    std::string message = *delivery_error +
                          "; the edge and this agent disagree on the delivery format: upgrade "
                          "the older of the two";
    co_await respond_error(x, 400, core::error_codes::bad_delivery, std::move(message));
    co_return;
  }
  // Pipeline::run's work, in this frame: a frame of its own cost ~900 instructions a request.
  auto& pipeline = *x.tunnel->pipeline;
  pipeline.begin(x);
  for (const auto& step : pipeline.steps()) {
    const auto outcome = co_await step->run(x);
    if (outcome == Step::Outcome::answered) break;
  }
  pipeline.end(x);
}

asio::awaitable<void> answer_unknown_tunnel(std::shared_ptr<net::H2Stream> stream) {
  Exchange x;
  x.stream.emplace(std::in_place, std::move(stream));
  x.method = x.stream->headers().get(":method").value_or("GET");
  auto name = x.stream->headers().get(protocol::kTunnelHeader).value_or("");
  {
    std::string message = "Tunnel '" + std::string(name) +
                          "' is not served by this agent any more. Restart it with "
                          "`relay http` or check the URL.";
    co_await respond_error(x, 404, core::error_codes::tunnel_not_found, std::move(message));
  }
}

}  // namespace

AgentSession::AgentSession(std::shared_ptr<net::H2Session> h2, SessionHost& host)
    : h2_(std::move(h2)), host_(host), drain_timer_(h2_->get_executor()) {}

AgentSession::~AgentSession() {
  h2_->set_stream_handler({});
  h2_->set_goaway_handler({});
}

asio::awaitable<core::error_code> AgentSession::run() {
  // The handler lives inside h2_: a weak reference avoids a cycle.
  h2_->set_stream_handler([weak = weak_from_this()](std::shared_ptr<net::H2Stream> s) {
    if (auto self = weak.lock()) self->on_stream(std::move(s));
  });
  // A GOAWAY (nghttp2's own, when the edge trips one of its limits, or the edge's) ends the
  // session: the control stream ends now, the requests in flight finish, and the agent
  // reconnects and resumes its session (same names) with its usual backoff.
  h2_->set_goaway_handler([weak = weak_from_this()](const net::H2Goaway&) {
    if (auto self = weak.lock()) self->end_control();
  });
  auto reason = co_await h2_->run();
  control_.reset();
  drain_timer_.cancel();
  co_return reason;
}

void AgentSession::on_stream(std::shared_ptr<net::H2Stream> stream) {
  auto ex = h2_->get_executor();
  const auto route = route_of(stream->headers());
  if (route.path == protocol::kControlPath) {
    asio::co_spawn(ex, control_loop(std::move(stream)), log_escape("control stream"));
    return;
  }
  auto tunnel = host_.find_by_public_name(route.tunnel);
  if (!tunnel) {
    asio::co_spawn(ex, serve_after_control(shared_from_this(), std::move(stream)),
                   log_escape("request"));
    return;
  }
  asio::co_spawn(ex, serve_request(std::move(stream), std::move(tunnel)), log_escape("request"));
}

// The edge delivers a queued request the moment it binds the tunnel, and nghttp2 sends HEADERS
// before DATA: the request can arrive before the control line that names its tunnel (in the same
// read or the next). So a tunnel not known yet is looked up again after each batch of control
// lines the session applies, for up to kControlPatience; one still unknown then is not served
// here.
asio::awaitable<void> AgentSession::serve_after_control(std::shared_ptr<AgentSession> self,
                                                        std::shared_ptr<net::H2Stream> stream) {
  constexpr auto kControlPatience = std::chrono::seconds(1);
  auto name = std::string(stream->headers().get(protocol::kTunnelHeader).value_or(""));
  asio::steady_timer wake(self->h2_->get_executor());
  wake.expires_after(kControlPatience);
  self->awaiting_control_.push_back(&wake);
  std::shared_ptr<TunnelRuntime> tunnel;
  for (;;) {
    // Cancelled (operation_aborted) by wake_awaiting_control(); success means patience ran out.
    auto [ec] = co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!self->h2_->is_open()) break;
    tunnel = self->host_.find_by_public_name(name);
    if (tunnel || !ec) break;
  }
  std::erase(self->awaiting_control_, &wake);
  if (!self->h2_->is_open()) co_return;
  if (!tunnel) {
    co_await answer_unknown_tunnel(std::move(stream));
    co_return;
  }
  co_await serve_request(std::move(stream), std::move(tunnel));
}

void AgentSession::wake_awaiting_control() {
  for (auto* timer : awaiting_control_) timer->cancel();
}

asio::awaitable<void> AgentSession::control_loop(std::shared_ptr<net::H2Stream> stream) {
  static const auto log = core::logger("relay.agent.session");
  auto self = shared_from_this();
  if (stream->respond(200, {{"content-type", "application/x-ndjson"}}, false)) co_return;
  control_ = stream;
  if (!outbox_.empty() && !writing_) {
    asio::co_spawn(h2_->get_executor(), write_loop(), log_escape("control stream"));
  }
  protocol::ControlLines lines(kMaxControlLine);
  std::string chunk;
  for (;;) {
    auto ec = co_await stream->read(chunk);
    if (ec || chunk.empty()) {
      if (!stopping_) {
        log->warn("the edge closed the control stream{}; reconnecting",
                  ec ? ": " + ec.message() : std::string());
        h2_->close();
      }
      break;
    }
    lines.feed(chunk);
    while (auto line = lines.next()) {
      auto message = protocol::parse_control_message(*line);
      if (!message) {
        log->warn("ignoring a control message from the edge: {}", message.error().message);
        continue;
      }
      host_.on_control(*message);
    }
    wake_awaiting_control();
    if (lines.overflowed()) {
      log->error("the edge sent a control line over {} bytes; closing the session",
                 kMaxControlLine);
      h2_->close();
      break;
    }
  }
  if (control_ == stream) control_.reset();
  wake_awaiting_control();  // they see the session closed
}

void AgentSession::send(const protocol::ControlMessage& message) {
  outbox_ += protocol::serialize(message);
  if (control_ && !writing_) {
    asio::co_spawn(h2_->get_executor(), write_loop(), log_escape("control stream"));
  }
}

asio::awaitable<void> AgentSession::write_loop() {
  auto self = shared_from_this();
  writing_ = true;  // one writer per stream
  while (control_ && !outbox_.empty()) {
    std::string out = std::move(outbox_);
    outbox_.clear();
    auto stream = control_;
    if (auto ec = co_await stream->write(out, false)) break;
  }
  writing_ = false;
}

void AgentSession::shutdown(std::chrono::steady_clock::duration drain) {
  stopping_ = true;
  h2_->shutdown();
  // The control stream lives as long as the session: end it so that only requests remain
  // for GOAWAY to wait for.
  end_control();
  drain_timer_.expires_after(drain);
  drain_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->h2_->close();
  });
}

void AgentSession::end_control() {
  stopping_ = true;  // the control stream's end is expected now, not "the edge closed it"
  if (control_) {
    auto control = std::move(control_);
    control->reset(0x0 /* NO_ERROR */);
  }
}

void AgentSession::close() {
  stopping_ = true;
  h2_->close();
}

}  // namespace relay::agent
