#include "edge/buffered_request.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "relay/core/error_page.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {

namespace codes = core::error_codes;

BufferedStep decide(const BufferedSituation& situation) {
  if (!situation.body_fits) {
    return situation.session_live ? BufferedStep::stream_live : BufferedStep::refuse_too_large;
  }
  if (situation.duplicate) return BufferedStep::answer_duplicate;
  if (situation.handshake) {
    return situation.session_live ? BufferedStep::go_live : BufferedStep::refuse_handshake;
  }
  if (situation.mode == core::BufferMode::always) return BufferedStep::queue;
  return situation.session_live ? BufferedStep::go_live : BufferedStep::queue;
}

bool app_unavailable(const LiveAnswer& answer) {
  if (answer.failure != ExchangeFailure::none) return true;
  if (answer.status == 502 || answer.status == 503 || answer.status == 504) return true;
  return answer.relay_error_code == codes::upstream_refused ||
         answer.relay_error_code == codes::upstream_timeout ||
         answer.relay_error_code == codes::upstream_failed;
}

LiveVerdict judge_live_answer(const LiveAnswer& answer, bool handshake) {
  if (!app_unavailable(answer)) return LiveVerdict::pass_through;
  if (!handshake) return LiveVerdict::queue;
  return answer.failure == ExchangeFailure::none ? LiveVerdict::pass_through
                                                 : LiveVerdict::refuse_handshake;
}

bool remember_live_event(int status, std::string_view event_id) {
  return status >= 200 && status < 300 && !event_id.empty();
}

std::string_view queue_reason(core::BufferMode mode, bool session_live) {
  if (mode == core::BufferMode::always) return "always";
  return session_live ? "app unavailable" : "agent offline";
}

std::string render_queued_answer(int status, std::string_view delivery_id, bool duplicate,
                                 bool keep_alive, bool head_request) {
  nlohmann::json body = {{"queued", true}, {"delivery_id", std::string(delivery_id)}};
  if (duplicate) body["duplicate"] = true;
  const std::string text = body.dump();
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}: "
      "{}\r\ncache-control: no-store\r\n{}\r\n",
      status, core::reason_phrase(status), text.size(), net::protocol::kDeliveryIdHeader,
      delivery_id, keep_alive ? "" : "connection: close\r\n");
  if (!head_request) out += text;
  return out;
}

}  // namespace relay::edge
