#include "agent/capture_step.hpp"

#include <memory>

#include "agent/tunnel_runtime.hpp"
#include "relay/core/clock.hpp"
#include "relay/core/host_port.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::agent {

namespace asio = boost::asio;

namespace {

// No response and no answer from relay: the caller (or the edge) went away mid-request.
constexpr std::string_view kCallerGone = "RELAY_CALLER_GONE";

bool starts_with_relay(std::string_view name) {
  return name.size() > 6 && (name[0] == 'r' || name[0] == 'R') &&
         core::iequals(name.substr(0, 6), "relay-");
}

}  // namespace

asio::awaitable<Step::Outcome> CaptureStep::run(Exchange& x) {
  x.capture = std::make_unique<inspect::Capture>();
  auto& c = *x.capture;
  c.id = store_.make_id();
  x.capture_id = c.id;
  c.tunnel = x.tunnel->options.name;
  c.start = core::Clock::now();
  c.public_url.append(x.scheme).append("://").append(x.authority);
  c.method = x.method;
  c.url = x.path;
  c.replay = !x.replay_of.empty();
  c.replay_of = x.replay_of;
  if (x.delivery) {
    c.delivery_id = x.delivery->id;
    c.delivery_attempt = x.delivery->attempt;
  }
  const auto& headers = x.headers();
  c.request_headers.reserve(headers.size());
  for (const auto& f : headers) {
    if (f.name.empty() || f.name.front() == ':') continue;
    if (starts_with_relay(f.name)) {
      if (core::iequals(f.name, net::protocol::kRemoteAddrHeader))
        c.remote_addr = core::address_without_port(f.value);
      continue;  // the tunnel's own headers, not the provider's
    }
    c.request_headers.add(f.name, f.value);
  }
  if (c.remote_addr.empty() && x.stream->is_replay()) c.remote_addr = "replay";
  if (x.body_buffered) c.request_body.assign(x.body, limit_);
  x.stream->record_into(c, limit_);  // the copy is made in CapturingStream, as bytes pass
  store_.upsert(c);                  // in flight: the list shows it now
  co_return Outcome::next;
}

void CaptureStep::finished(Exchange& x) {
  if (!x.capture) return;
  auto& c = *x.capture;
  x.stream->stop_recording();  // the capture leaves the exchange below
  c.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - x.started);
  if (x.verdict) c.verdict = x.verdict;
  c.duplicate = x.duplicate;
  if (!x.relay_code.empty()) {
    c.error_code = std::string(x.relay_code);
    c.error = x.detail;
  } else if (c.status == 0) {
    c.error_code = std::string(kCallerGone);
    c.error = x.detail.empty() ? "the request ended before a response was sent" : x.detail;
  }
  store_.upsert(std::move(c));
  x.capture.reset();
}

}  // namespace relay::agent
