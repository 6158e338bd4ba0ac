#include "store/sqlite_delivery_queue.hpp"

#include <utility>

namespace relay::store::detail {

using Conn = SqliteConnection;
using Step = std::pair<std::uint64_t, bool>;
using Sync = SqliteWriter::Sync;

DeliveryQueue::Async<AppendOutcome> SqliteDeliveryQueue::append(NewDelivery delivery,
                                                                const core::BufferPolicy& policy) {
  return writer_.run<AppendOutcome>(Sync::durable, [this, d = std::move(delivery), policy](Conn&) {
    return ops_.append(d, policy);
  });
}

DeliveryQueue::Async<void> SqliteDeliveryQueue::remember_event(std::string tunnel,
                                                               std::string event_id,
                                                               std::string request_id,
                                                               std::int64_t now_ms) {
  return writer_.run<void>(Sync::relaxed,
                           [this, tunnel = std::move(tunnel), event_id = std::move(event_id),
                            request_id = std::move(request_id), now_ms](Conn&) {
                             return ops_.remember_event(tunnel, event_id, request_id, now_ms);
                           });
}

DeliveryQueue::Async<std::optional<std::string>> SqliteDeliveryQueue::find_event(
    std::string tunnel, std::string event_id, std::int64_t since_ms) {
  // Durable: a retry is answered "queued" from what it finds.
  return writer_.run<std::optional<std::string>>(
      Sync::durable, [this, tunnel = std::move(tunnel), event_id = std::move(event_id),
                      since_ms](Conn&) { return ops_.find_event(tunnel, event_id, since_ms); });
}

DeliveryQueue::Async<std::vector<Delivery>> SqliteDeliveryQueue::lease(std::string tunnel,
                                                                       std::size_t max,
                                                                       std::int64_t now_ms,
                                                                       std::int64_t lease_ms) {
  return writer_.run<std::vector<Delivery>>(
      Sync::relaxed, [this, tunnel = std::move(tunnel), max, now_ms, lease_ms](Conn&) {
        return ops_.lease(tunnel, max, now_ms, lease_ms);
      });
}

DeliveryQueue::Async<void> SqliteDeliveryQueue::ack(std::string id, int status,
                                                    std::int64_t now_ms) {
  return writer_.run<void>(Sync::relaxed, [this, id = std::move(id), status, now_ms](Conn&) {
    return ops_.finish(id, DeliveryState::delivered, status, {}, 0, now_ms);
  });
}

DeliveryQueue::Async<void> SqliteDeliveryQueue::nack(std::string id, int status, std::string error,
                                                     std::int64_t retry_at_ms,
                                                     std::int64_t now_ms) {
  return writer_.run<void>(Sync::relaxed, [this, id = std::move(id), status,
                                           error = std::move(error), retry_at_ms, now_ms](Conn&) {
    return ops_.finish(id, DeliveryState::queued, status, error, retry_at_ms, now_ms);
  });
}

DeliveryQueue::Async<void> SqliteDeliveryQueue::dead_letter(std::string id, int status,
                                                            std::string error,
                                                            std::int64_t now_ms) {
  return writer_.run<void>(
      Sync::relaxed, [this, id = std::move(id), status, error = std::move(error), now_ms](Conn&) {
        return ops_.finish(id, DeliveryState::dead, status, error, 0, now_ms);
      });
}

// The jobs of the coroutines below are made here, outside them: GCC 12 destroyed the lambda
// temporary of `co_await writer_.run(lambda)` inside a coroutine's loop twice (a double free).
DeliveryQueue::Async<Step> SqliteDeliveryQueue::expire_step(std::int64_t now_ms,
                                                            std::int64_t retention_ms) {
  return writer_.run<Step>(Sync::relaxed, [this, now_ms, retention_ms](Conn&) {
    return ops_.expire_step(now_ms, retention_ms);
  });
}

DeliveryQueue::Async<Step> SqliteDeliveryQueue::purge_step(std::string tunnel,
                                                           DeliveryState state) {
  return writer_.run<Step>(Sync::durable, [this, tunnel = std::move(tunnel), state](Conn&) {
    return ops_.purge_step(tunnel, state);
  });
}

DeliveryQueue::Async<std::uint64_t> SqliteDeliveryQueue::expire(std::int64_t now_ms,
                                                                std::int64_t retention_ms) {
  // In steps, each its own commit: appends queued meanwhile wait for one step, not for all.
  std::uint64_t expired = 0;
  for (;;) {
    auto step = co_await expire_step(now_ms, retention_ms);
    if (!step) co_return step.error();
    expired += step->first;
    if (!step->second) co_return expired;
  }
}

DeliveryQueue::Async<std::optional<std::int64_t>> SqliteDeliveryQueue::next_due(
    std::string tunnel) {
  return writer_.run<std::optional<std::int64_t>>(
      Sync::relaxed, [this, tunnel = std::move(tunnel)](Conn&) { return ops_.next_due(tunnel); });
}

DeliveryQueue::Async<std::vector<std::string>> SqliteDeliveryQueue::tunnels_with_queued() {
  return writer_.run<std::vector<std::string>>(
      Sync::relaxed, [this](Conn&) { return ops_.tunnels_with_queued(); });
}

DeliveryQueue::Async<std::vector<Delivery>> SqliteDeliveryQueue::list(DeliveryFilter filter) {
  return writer_.run<std::vector<Delivery>>(
      Sync::relaxed, [this, filter = std::move(filter)](Conn&) { return ops_.list(filter); });
}

DeliveryQueue::Async<std::optional<Delivery>> SqliteDeliveryQueue::get(std::string id) {
  return writer_.run<std::optional<Delivery>>(
      Sync::relaxed, [this, id = std::move(id)](Conn&) { return ops_.get(id); });
}

DeliveryQueue::Async<bool> SqliteDeliveryQueue::retry(std::string id, std::int64_t now_ms) {
  return writer_.run<bool>(
      Sync::durable, [this, id = std::move(id), now_ms](Conn&) { return ops_.retry(id, now_ms); });
}

DeliveryQueue::Async<bool> SqliteDeliveryQueue::drop(std::string id) {
  return writer_.run<bool>(Sync::durable,
                           [this, id = std::move(id)](Conn&) { return ops_.drop(id); });
}

DeliveryQueue::Async<std::uint64_t> SqliteDeliveryQueue::purge(std::string tunnel,
                                                               std::optional<DeliveryState> state) {
  std::vector<DeliveryState> states;
  if (state) {
    states.push_back(*state);
  } else {
    states = {DeliveryState::queued, DeliveryState::delivered, DeliveryState::dead};
  }
  std::uint64_t removed = 0;
  for (auto s : states) {
    for (;;) {
      auto step = co_await purge_step(tunnel, s);
      if (!step) co_return step.error();
      removed += step->first;
      if (!step->second) break;
    }
  }
  co_return removed;
}

DeliveryQueue::Async<std::vector<TunnelQueueStats>> SqliteDeliveryQueue::stats() {
  return writer_.run<std::vector<TunnelQueueStats>>(Sync::relaxed,
                                                    [this](Conn&) { return ops_.stats(); });
}

}  // namespace relay::store::detail
