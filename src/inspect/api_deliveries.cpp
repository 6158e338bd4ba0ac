// /api/deliveries: the durable delivery queue of this agent's tunnels (docs/inspector.md). The
// queue lives at the edge; the agent asks over its control stream (inspect::Deliveries).
//   GET    /api/deliveries?state=&tunnel=&limit=   list, newest first
//   POST   /api/deliveries/{id}/retry              deliver again now (a dead one too)
//   DELETE /api/deliveries/{id}                    drop one
//   DELETE /api/deliveries?tunnel=T[&state=S]      purge a tunnel's deliveries
#include <charconv>
#include <optional>

#include "inspect/api_handler.hpp"
#include "inspect/capture_json.hpp"
#include "relay/inspect/error.hpp"

namespace relay::inspect::detail {
namespace {

using nlohmann::json;
namespace protocol = net::protocol;

constexpr std::string_view kDeliveries = "/api/deliveries";
constexpr int kMaxLimit = 1000;

bool valid_state(std::string_view state) {
  return state.empty() || state == "queued" || state == "delivering" || state == "delivered" ||
         state == "dead";
}

std::string time_text(std::int64_t unix_ms) {
  if (unix_ms <= 0) return {};
  return to_rfc3339(core::Clock::time_point{
      std::chrono::duration_cast<core::Clock::duration>(std::chrono::milliseconds{unix_ms})});
}

json delivery_json(const protocol::DeliverySummary& d) {
  return {
      {"id", d.id},
      {"uri", std::string(kDeliveries) + "/" + d.id},
      {"tunnel", d.tunnel},
      {"state", d.state},
      {"method", d.method},
      {"path", d.path},
      {"received_at", time_text(d.received_at_ms)},
      {"received_at_ms", d.received_at_ms},
      {"attempts", d.attempts},
      {"next_attempt_at",
       d.next_attempt_at_ms > 0 ? json(time_text(d.next_attempt_at_ms)) : json()},
      {"next_attempt_at_ms", d.next_attempt_at_ms},
      {"last_status", d.last_status},
      {"last_error", d.last_error},
      {"event_id", d.event_id},
      {"body_bytes", d.body_bytes},
  };
}

ApiResponse bad_request(std::string message) {
  return error_response(400, "ERR_RELAY_INVALID_DELIVERY_REQUEST", message);
}

// The edge's answer to retry/drop/purge as an API error; nullopt on success.
std::optional<ApiResponse> outcome_error(const DeliveryOutcome& outcome) {
  if (outcome.code.empty()) return std::nullopt;
  const std::string message = outcome.message.empty() ? outcome.code : outcome.message;
  if (outcome.code == "not_found") {
    return error_response(404, "ERR_RELAY_DELIVERY_NOT_FOUND",
                          message + "; list the deliveries with GET /api/deliveries");
  }
  if (outcome.code == "bad_request") return bad_request(message);
  if (outcome.code == "conflict") {
    return error_response(409, "ERR_RELAY_DELIVERY_BUSY", message);
  }
  return error_response(503, "ERR_RELAY_QUEUE_UNAVAILABLE", "the edge: " + message);
}

ApiResponse method_not_allowed(std::string_view allow) {
  auto r = error_response(405, "ERR_RELAY_METHOD_NOT_ALLOWED",
                          "this path does not take that method; allowed: " + std::string{allow});
  r.headers.add("Allow", std::string{allow});
  return r;
}

}  // namespace

boost::asio::awaitable<ApiResponse> ApiHandler::deliveries(const ApiRequest& request,
                                                           const Target& target) {
  if (deliveries_ == nullptr) {
    co_return error_response(404, "ERR_RELAY_NOT_FOUND",
                             "this inspector has no delivery queue (it is not an agent's)");
  }
  const auto& method = request.method;
  auto query = [&](std::string_view key) {
    auto it = target.query.find(key);
    return it == target.query.end() ? std::string() : it->second;
  };

  if (target.path == kDeliveries) {
    const std::string state = query("state");
    const std::string tunnel = query("tunnel");
    if (!valid_state(state)) {
      co_return bad_request("state '" + state +
                            "' is not one of queued, delivering, delivered, dead");
    }
    if (method == "GET" || method == "HEAD") {
      DeliveryFilter filter{tunnel, state, 100};
      if (const auto limit = query("limit"); !limit.empty()) {
        int value = 0;
        auto [end, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), value);
        if (ec != std::errc{} || end != limit.data() + limit.size() || value < 1 ||
            value > kMaxLimit) {
          co_return bad_request("limit must be a number from 1 to 1000, got '" + limit + "'");
        }
        filter.limit = value;
      }
      auto list = co_await deliveries_->list(std::move(filter));
      if (!list) co_return error_response(list.error());
      json items = json::array();
      for (const auto& d : *list) items.push_back(delivery_json(d));
      co_return json_response(
          200, {{"deliveries", std::move(items)}, {"uri", std::string(kDeliveries)}});
    }
    if (method == "DELETE") {
      if (tunnel.empty()) {
        co_return bad_request(
            "purging needs the tunnel: DELETE /api/deliveries?tunnel=NAME[&state=dead]");
      }
      // Named, not temporaries: GCC 12 may destroy temporaries of a co_await expression twice.
      std::string action = "purge";
      std::string none;
      auto outcome = co_await deliveries_->command(std::move(action), none, tunnel, state);
      if (!outcome) co_return error_response(outcome.error());
      if (auto error = outcome_error(*outcome)) co_return std::move(*error);
      co_return json_response(200, {{"purged", outcome->count}, {"tunnel", tunnel}});
    }
    co_return method_not_allowed("GET, DELETE");
  }

  std::string id = target.path.substr(kDeliveries.size() + 1);
  constexpr std::string_view kRetry = "/retry";
  if (id.ends_with(kRetry)) {
    if (method != "POST") co_return method_not_allowed("POST");
    id.resize(id.size() - kRetry.size());
    if (id.empty() || id.find('/') != std::string::npos) {
      co_return error_response(Errc::delivery_not_found);
    }
    std::string action = "retry";
    std::string none;
    auto outcome = co_await deliveries_->command(std::move(action), id, none, none);
    if (!outcome) co_return error_response(outcome.error());
    if (auto error = outcome_error(*outcome)) co_return std::move(*error);
    // retried 0: it was queued or being delivered already (the message says which).
    co_return json_response(
        200, {{"id", id}, {"retried", outcome->count}, {"message", outcome->message}});
  }
  if (id.empty() || id.find('/') != std::string::npos) {
    co_return error_response(Errc::delivery_not_found);
  }
  if (method != "DELETE") co_return method_not_allowed("DELETE");
  std::string action = "drop";
  std::string none;
  auto outcome = co_await deliveries_->command(std::move(action), id, none, none);
  if (!outcome) co_return error_response(outcome.error());
  if (auto error = outcome_error(*outcome)) co_return std::move(*error);
  co_return no_content();
}

}  // namespace relay::inspect::detail
