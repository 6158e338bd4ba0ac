#include "store/memory_delivery_queue.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "relay/store/error.hpp"
#include "store/delivery_ids.hpp"
#include "store/delivery_rules.hpp"

namespace relay::store::detail {
namespace {

// Everything in maps on the io thread: each call completes at once, on the caller's executor.
class MemoryDeliveryQueue final : public DeliveryQueue {
 public:
  Async<AppendOutcome> append(NewDelivery delivery, const core::BufferPolicy& policy) override {
    const std::int64_t window = to_ms(policy.dedupe_window);
    windows_[delivery.tunnel] = window;
    EventKey key{delivery.tunnel, delivery.event_id};
    if (!delivery.event_id.empty()) {
      auto it = events_.find(key);
      if (it != events_.end() && it->second.seen_at >= delivery.received_at_ms - window) {
        co_return AppendOutcome{it->second.id, true};
      }
    }
    auto& pending = pending_[delivery.tunnel];
    if (pending.size() >= policy.max_events) co_return make_error_code(Errc::full);

    const std::uint64_t sequence = next_sequence_++;
    Delivery row;
    row.id = make_delivery_id(tag_, sequence);
    row.tunnel = std::move(delivery.tunnel);
    row.method = pseudo_header(delivery.headers, ":method");
    row.path = pseudo_header(delivery.headers, ":path");
    row.headers = std::move(delivery.headers);
    row.body_bytes = delivery.body.size();
    row.body = std::move(delivery.body);
    row.event_id = delivery.event_id;
    row.received_at_ms = delivery.received_at_ms;
    row.expires_at_ms = delivery.received_at_ms + to_ms(policy.ttl);
    row.next_attempt_at_ms = delivery.received_at_ms;
    row.updated_at_ms = delivery.received_at_ms;
    if (delivery.leased_until_ms != 0) {
      row.state = DeliveryState::delivering;
      row.attempts = 1;
      row.next_attempt_at_ms = delivery.leased_until_ms;
    }
    if (!delivery.event_id.empty()) {
      events_[key] = Event{row.id, delivery.received_at_ms, delivery.received_at_ms + window};
    }
    pending.insert(sequence);
    AppendOutcome outcome{row.id, false};
    rows_.emplace(sequence, std::move(row));
    co_return outcome;
  }

  Async<void> remember_event(std::string tunnel, std::string event_id, std::string request_id,
                             std::int64_t now_ms) override {
    auto window = windows_.find(tunnel);
    const std::int64_t ms = window != windows_.end() ? window->second : default_dedupe_window_ms();
    events_[EventKey{std::move(tunnel), std::move(event_id)}] =
        Event{std::move(request_id), now_ms, now_ms + ms};
    co_return core::Result<void>{};
  }

  Async<std::optional<std::string>> find_event(std::string tunnel, std::string event_id,
                                               std::int64_t since_ms) override {
    auto it = events_.find(EventKey{std::move(tunnel), std::move(event_id)});
    if (it == events_.end() || it->second.seen_at < since_ms) {
      co_return std::optional<std::string>{};
    }
    co_return std::optional<std::string>{it->second.id};
  }

  Async<std::vector<Delivery>> lease(std::string tunnel, std::size_t max, std::int64_t now_ms,
                                     std::int64_t lease_ms) override {
    std::vector<Delivery> out;
    auto pending = pending_.find(tunnel);
    if (pending == pending_.end()) co_return out;
    for (auto sequence : pending->second) {
      if (out.size() >= max) break;
      auto& row = rows_.at(sequence);
      if (row.next_attempt_at_ms > now_ms) continue;  // in backoff, or leased and in flight
      row.state = DeliveryState::delivering;
      row.attempts += 1;
      row.next_attempt_at_ms = now_ms + lease_ms;
      row.updated_at_ms = now_ms;
      out.push_back(row);
    }
    co_return out;
  }

  Async<void> ack(std::string id, int status, std::int64_t now_ms) override {
    if (auto* row = find(id); row != nullptr && is_pending(*row)) {
      leave_pending(*row);
      row->state = DeliveryState::delivered;
      row->body.clear();
      row->body.shrink_to_fit();
      row->headers.clear();
      row->last_status = status;
      row->last_error.clear();
      row->updated_at_ms = now_ms;
    }
    co_return core::Result<void>{};
  }

  Async<void> nack(std::string id, int status, std::string error, std::int64_t retry_at_ms,
                   std::int64_t now_ms) override {
    if (auto* row = find(id); row != nullptr && is_pending(*row)) {
      row->state = DeliveryState::queued;
      row->next_attempt_at_ms = retry_at_ms;
      row->last_status = status;
      row->last_error = std::move(error);
      row->updated_at_ms = now_ms;
    }
    co_return core::Result<void>{};
  }

  Async<void> dead_letter(std::string id, int status, std::string error,
                          std::int64_t now_ms) override {
    if (auto* row = find(id); row != nullptr && is_pending(*row)) {
      leave_pending(*row);
      row->state = DeliveryState::dead;
      row->last_status = status;
      row->last_error = std::move(error);
      row->updated_at_ms = now_ms;
    }
    co_return core::Result<void>{};
  }

  Async<std::uint64_t> expire(std::int64_t now_ms, std::int64_t retention_ms) override {
    std::uint64_t expired = 0;
    for (auto it = rows_.begin(); it != rows_.end();) {
      auto& row = it->second;
      if (row.state == DeliveryState::queued && row.expires_at_ms <= now_ms) {
        leave_pending(row);
        row.state = DeliveryState::dead;
        row.last_error = kExpiredError;
        row.updated_at_ms = now_ms;
        ++expired;
      } else if (!is_pending(row) && row.updated_at_ms < now_ms - retention_ms) {
        it = rows_.erase(it);
        continue;
      }
      ++it;
    }
    std::erase_if(events_, [&](const auto& entry) { return entry.second.expires_at <= now_ms; });
    co_return expired;
  }

  Async<std::optional<std::int64_t>> next_due(std::string tunnel) override {
    std::optional<std::int64_t> due;
    if (auto pending = pending_.find(tunnel); pending != pending_.end()) {
      for (auto sequence : pending->second) {
        const auto at = rows_.at(sequence).next_attempt_at_ms;
        due = due ? std::min(*due, at) : at;
      }
    }
    co_return due;
  }

  Async<std::vector<std::string>> tunnels_with_queued() override {
    std::vector<std::string> out;
    for (const auto& [tunnel, pending] : pending_) {
      if (!pending.empty()) out.push_back(tunnel);
    }
    co_return out;
  }

  Async<std::vector<Delivery>> list(DeliveryFilter filter) override {
    std::vector<Delivery> out;
    for (auto it = rows_.rbegin(); it != rows_.rend() && out.size() < filter.limit; ++it) {
      const auto& row = it->second;
      if (!filter.tunnel.empty() && row.tunnel != filter.tunnel) continue;
      if (filter.state && row.state != *filter.state) continue;
      Delivery summary = row;
      summary.headers.clear();
      summary.body.clear();
      out.push_back(std::move(summary));
    }
    co_return out;
  }

  Async<std::optional<Delivery>> get(std::string id) override {
    const auto* row = find(id);
    co_return row != nullptr ? std::optional<Delivery>{*row} : std::nullopt;
  }

  Async<bool> retry(std::string id, std::int64_t now_ms) override {
    // A delivered one kept no body: there is nothing to send again.
    auto* row = find(id);
    if (row == nullptr || row->state != DeliveryState::dead) co_return false;
    row->state = DeliveryState::queued;
    row->attempts = 0;
    row->next_attempt_at_ms = now_ms;
    row->updated_at_ms = now_ms;
    pending_[row->tunnel].insert(*parse_delivery_id(tag_, row->id));
    co_return true;
  }

  Async<bool> drop(std::string id) override {
    auto sequence = parse_delivery_id(tag_, id);
    auto it = sequence ? rows_.find(*sequence) : rows_.end();
    if (it == rows_.end() || it->second.state == DeliveryState::delivering) co_return false;
    leave_pending(it->second);
    rows_.erase(it);
    co_return true;
  }

  Async<std::uint64_t> purge(std::string tunnel, std::optional<DeliveryState> state) override {
    std::uint64_t removed = 0;
    for (auto it = rows_.begin(); it != rows_.end();) {
      const auto& row = it->second;
      if (row.tunnel == tunnel && row.state != DeliveryState::delivering &&
          (!state || row.state == *state)) {
        leave_pending(row);
        it = rows_.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
    co_return removed;
  }

  Async<std::vector<TunnelQueueStats>> stats() override {
    std::map<std::string, TunnelQueueStats> by_tunnel;
    for (const auto& [sequence, row] : rows_) {
      auto& s = by_tunnel[row.tunnel];
      s.tunnel = row.tunnel;
      switch (row.state) {
        case DeliveryState::queued:
          ++s.queued;
          s.queued_bytes += row.body_bytes;
          if (s.oldest_queued_ms == 0 || row.received_at_ms < s.oldest_queued_ms) {
            s.oldest_queued_ms = row.received_at_ms;
          }
          break;
        case DeliveryState::delivering:
          ++s.delivering;
          break;
        case DeliveryState::delivered:
          ++s.delivered;
          break;
        case DeliveryState::dead:
          ++s.dead;
          break;
      }
    }
    std::vector<TunnelQueueStats> out;
    out.reserve(by_tunnel.size());
    for (auto& [tunnel, s] : by_tunnel) out.push_back(std::move(s));
    co_return out;
  }

 private:
  using EventKey = std::pair<std::string, std::string>;  // tunnel, event id
  struct Event {
    std::string id;  // the delivery, or the live request
    std::int64_t seen_at = 0;
    std::int64_t expires_at = 0;
  };

  static bool is_pending(const Delivery& row) {
    return row.state == DeliveryState::queued || row.state == DeliveryState::delivering;
  }
  Delivery* find(std::string_view id) {
    auto sequence = parse_delivery_id(tag_, id);
    if (!sequence) return nullptr;
    auto it = rows_.find(*sequence);
    return it != rows_.end() ? &it->second : nullptr;
  }
  void leave_pending(const Delivery& row) {
    if (!is_pending(row)) return;
    auto it = pending_.find(row.tunnel);
    if (it == pending_.end()) return;
    it->second.erase(*parse_delivery_id(tag_, row.id));
    if (it->second.empty()) pending_.erase(it);
  }

  std::string tag_ = random_store_tag();
  std::uint64_t next_sequence_ = 1;
  std::map<std::uint64_t, Delivery> rows_;                  // by sequence: append order
  std::map<std::string, std::set<std::uint64_t>> pending_;  // tunnel -> queued or delivering
  std::map<EventKey, Event> events_;
  std::map<std::string, std::int64_t> windows_;  // tunnel -> its last append's dedupe window
};

class MemoryPolicyStore final : public PolicyStore {
 public:
  core::Result<void> save(std::string_view name, const core::BufferPolicy& policy) override {
    if (policy.enabled()) {
      policies_[std::string(name)] = policy;
    } else {
      policies_.erase(std::string(name));
    }
    return {};
  }
  core::Result<std::vector<std::pair<std::string, core::BufferPolicy>>> all() override {
    return std::vector<std::pair<std::string, core::BufferPolicy>>(policies_.begin(),
                                                                   policies_.end());
  }

 private:
  std::map<std::string, core::BufferPolicy> policies_;  // sorted by name
};

}  // namespace

std::unique_ptr<DeliveryQueue> make_memory_delivery_queue() {
  return std::make_unique<MemoryDeliveryQueue>();
}

std::unique_ptr<PolicyStore> make_memory_policy_store() {
  return std::make_unique<MemoryPolicyStore>();
}

}  // namespace relay::store::detail
