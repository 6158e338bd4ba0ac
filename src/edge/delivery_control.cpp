#include "edge/delivery_control.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace relay::edge {

namespace protocol = net::protocol;

namespace {

constexpr int kMaxListLimit = 1000;
// A control line is at most 64 KiB (docs/protocol.md §5; a longer one ends the session): a list
// of long last_errors is cut, newest kept, to stay under it.
constexpr std::size_t kMaxAnswerLine = 60 * 1024;

bool owns(const std::vector<std::string>& own_tunnels, const std::string& tunnel) {
  return std::find(own_tunnels.begin(), own_tunnels.end(), tunnel) != own_tunnels.end();
}

protocol::DeliverySummary summarize(const store::Delivery& d) {
  const bool scheduled =
      d.state == store::DeliveryState::queued || d.state == store::DeliveryState::delivering;
  return {.id = d.id,
          .tunnel = d.tunnel,
          .state = std::string(store::to_string(d.state)),
          .method = d.method,
          .path = d.path,
          .received_at_ms = d.received_at_ms,
          .attempts = d.attempts,
          .next_attempt_at_ms = scheduled ? d.next_attempt_at_ms : 0,
          .last_status = d.last_status,
          .last_error = d.last_error,
          .event_id = d.event_id,
          .body_bytes = d.body_bytes};
}

protocol::DeliveryResultMessage result(const protocol::DeliveryCommandMessage& command,
                                       std::uint64_t count, std::string code, std::string message) {
  return {command.request, count, std::move(code), std::move(message)};
}

protocol::DeliveryResultMessage unavailable(const protocol::DeliveryCommandMessage& command,
                                            const core::error_code& ec) {
  return result(command, 0, "store_unavailable",
                fmt::format("the edge's delivery queue cannot be read or written ({}); ask the "
                            "edge's operator to check its log and disk",
                            ec.message()));
}

protocol::DeliveryResultMessage not_found(const protocol::DeliveryCommandMessage& command) {
  return result(command, 0, "not_found",
                fmt::format("no delivery '{}' on this agent's tunnels", command.delivery_id));
}

}  // namespace

boost::asio::awaitable<protocol::DeliveriesMessage> list_deliveries(
    store::DeliveryQueue& queue, const protocol::ListDeliveriesMessage& request,
    const std::vector<std::string>& own_tunnels) {
  protocol::DeliveriesMessage answer{request.request, {}};
  std::optional<store::DeliveryState> state;
  if (!request.state.empty()) {
    state = store::parse_delivery_state(request.state);
    if (!state) co_return answer;
  }
  std::vector<std::string> tunnels;
  if (request.tunnel.empty()) {
    tunnels = own_tunnels;
  } else if (owns(own_tunnels, request.tunnel)) {
    tunnels.push_back(request.tunnel);
  }
  const auto limit = static_cast<std::size_t>(std::clamp(request.limit, 1, kMaxListLimit));
  std::vector<store::Delivery> found;
  for (const auto& tunnel : tunnels) {
    // Named, not a temporary: GCC 12 may destroy temporaries of a co_await expression twice.
    const store::DeliveryFilter filter{.tunnel = tunnel, .state = state, .limit = limit};
    auto listed = co_await queue.list(filter);
    if (!listed) continue;  // the store logs why; the list shows what it could read
    std::move(listed->begin(), listed->end(), std::back_inserter(found));
  }
  // Newest first across the tunnels, like each tunnel's own list.
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.received_at_ms > b.received_at_ms;
  });
  if (found.size() > limit) found.resize(limit);
  answer.deliveries.reserve(found.size());
  for (const auto& d : found) answer.deliveries.push_back(summarize(d));
  for (;;) {
    const std::size_t size = protocol::serialize(protocol::ControlMessage{answer}).size();
    if (size <= kMaxAnswerLine || answer.deliveries.empty()) break;
    const std::size_t n = answer.deliveries.size();
    const std::size_t excess = n * (size - kMaxAnswerLine) / size + 1;
    answer.deliveries.resize(n - std::min(n, excess));
  }
  co_return answer;
}

boost::asio::awaitable<protocol::DeliveryResultMessage> run_delivery_command(
    store::DeliveryQueue& queue, const protocol::DeliveryCommandMessage& command,
    const std::vector<std::string>& own_tunnels, std::int64_t now_ms,
    const std::function<void(const std::string& tunnel)>& wake) {
  if (command.action == "purge") {
    if (command.tunnel.empty()) {
      co_return result(command, 0, "bad_request", "purge needs the tunnel whose queue to purge");
    }
    if (!owns(own_tunnels, command.tunnel)) {
      co_return result(command, 0, "not_found",
                       fmt::format("tunnel '{}' is not one of this agent's", command.tunnel));
    }
    std::optional<store::DeliveryState> state;
    if (!command.state.empty()) {
      state = store::parse_delivery_state(command.state);
      if (!state || *state == store::DeliveryState::delivering) {
        co_return result(command, 0, "bad_request",
                         fmt::format("cannot purge state '{}'; use queued, delivered or dead "
                                     "(or none for all three)",
                                     command.state));
      }
    }
    auto purged = co_await queue.purge(command.tunnel, state);
    if (!purged) co_return unavailable(command, purged.error());
    co_return result(command, *purged, "", "");
  }
  if (command.action != "retry" && command.action != "drop") {
    co_return result(command, 0, "bad_request",
                     fmt::format("unknown action '{}'; use retry, drop or purge", command.action));
  }
  if (command.delivery_id.empty()) {
    co_return result(command, 0, "bad_request",
                     fmt::format("{} needs the delivery's id", command.action));
  }
  auto found = co_await queue.get(command.delivery_id);
  if (!found) co_return unavailable(command, found.error());
  if (!*found || !owns(own_tunnels, (*found)->tunnel)) co_return not_found(command);
  const auto& delivery = **found;
  if (command.action == "retry") {
    if (delivery.state == store::DeliveryState::queued ||
        delivery.state == store::DeliveryState::delivering) {
      // Nothing to do: it is due or in flight already.
      co_return result(command, 0, "",
                       fmt::format("delivery '{}' is {} already", delivery.id,
                                   store::to_string(delivery.state)));
    }
    auto retried = co_await queue.retry(delivery.id, now_ms);
    if (!retried) co_return unavailable(command, retried.error());
    if (!*retried) co_return not_found(command);  // dropped or retried in between
    if (wake) wake(delivery.tunnel);
    co_return result(command, 1, "", "");
  }
  if (delivery.state == store::DeliveryState::delivering) {
    co_return result(command, 0, "conflict",
                     fmt::format("delivery '{}' is being delivered right now; drop it once the "
                                 "attempt is over",
                                 delivery.id));
  }
  auto dropped = co_await queue.drop(delivery.id);
  if (!dropped) co_return unavailable(command, dropped.error());
  if (!*dropped) co_return not_found(command);
  co_return result(command, 1, "", "");
}

}  // namespace relay::edge
