#include "edge/delivery_scheduler.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "edge/agent_session.hpp"
#include "edge/delivery_attempt.hpp"
#include "edge/delivery_headers.hpp"
#include "edge/edge_state.hpp"
#include "edge/name_generator.hpp"
#include "edge/retry_policy.hpp"
#include "relay/core/log.hpp"

namespace relay::edge {

namespace asio = boost::asio;

namespace {

constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
// After the store failed a lease: it is broken or its disk is full, and asking again at once
// would only fill the log.
constexpr std::int64_t kStoreRetryMs = 5000;
// A due time already past that lease() did not hand out (a lease another edge holds, a race
// with an append): looked at again soon, not in a tight loop.
constexpr std::int64_t kRecheckMs = 50;
// The lease outlives the attempt's own deadline, so it only lapses when this edge died.
constexpr std::chrono::seconds kLeaseMargin{30};

}  // namespace

DeliveryScheduler::DeliveryScheduler(std::shared_ptr<EdgeState> state, store::DeliveryQueue& queue)
    : state_(std::move(state)),
      queue_(queue),
      expire_timer_(state_->executor),
      random_(std::random_device{}()) {}

void DeliveryScheduler::start() {
  std::weak_ptr<DeliveryScheduler> weak = weak_from_this();
  state_->delivery_wakeup = [weak](const std::string& tunnel) {
    if (auto self = weak.lock()) self->wake(tunnel);
  };
  state_->delivery_scheduler = weak;
  asio::co_spawn(state_->executor, expire_loop(), asio::detached);
  // After a restart: the tunnels with a backlog. Their workers find no session yet and end;
  // the agent's connect wakes them again.
  asio::co_spawn(
      state_->executor,
      [self = shared_from_this()]() -> asio::awaitable<void> {
        auto tunnels = co_await self->queue_.tunnels_with_queued();
        if (!tunnels) {
          core::log_event(*self->state_->log, spdlog::level::err,
                          "cannot read the delivery queue; queued deliveries wait for the next "
                          "request or agent connect",
                          {{"error", tunnels.error().message()}});
          co_return;
        }
        if (!tunnels->empty()) {
          core::log_event(*self->state_->log, spdlog::level::info,
                          "deliveries queued from before the restart",
                          {{"tunnels", tunnels->size()}});
        }
        for (const auto& t : *tunnels) self->wake(t);
      },
      asio::detached);
}

void DeliveryScheduler::wake(const std::string& tunnel) {
  if (stopped_) return;
  auto& slot = workers_[tunnel];
  if (!slot) slot = std::make_shared<Worker>(state_->executor);
  slot->woken = true;
  slot->caught_up = false;  // something may be queued: hand-overs wait until it is drained
  slot->timer.cancel();
  if (slot->running) return;
  slot->running = true;
  asio::co_spawn(state_->executor, run_worker(tunnel, slot), asio::detached);
}

std::int64_t DeliveryScheduler::claim(const std::string& tunnel) {
  if (stopped_) return 0;
  const auto policy = policy_for(tunnel);
  if (policy.ordered || !live_session(tunnel)) return 0;
  auto& slot = workers_[tunnel];
  if (!slot) {
    // No worker: nothing was queued or due since the last one ended (a wake-up starts one).
    slot = std::make_shared<Worker>(state_->executor);
    slot->caught_up = true;
  }
  // Behind on a backlog, hand-overs take at most half the places: the worker refills the
  // other half from the store (it leases once half are free), so old requests keep moving.
  const std::size_t limit = concurrency_of(policy);
  const std::size_t places = slot->caught_up ? limit : std::max<std::size_t>(limit / 2, 1);
  if (slot->in_flight >= places || slot->in_flight + slot->recording >= 2 * limit) return 0;
  ++slot->in_flight;
  return lease_ms();
}

void DeliveryScheduler::hand_over(const std::string& tunnel,
                                  std::optional<store::Delivery> delivery) {
  auto it = workers_.find(tunnel);
  if (it == workers_.end()) return;  // not claimed
  auto worker = it->second;
  if (!delivery) {
    --worker->in_flight;
    notify(*worker);
    return;
  }
  auto session = live_session(tunnel);
  if (!session) {
    // The agent left while the request was being stored: due again now, for its next session.
    AttemptAnswer none;
    none.failure = "the agent disconnected before the attempt";
    AttemptDecision again;
    again.outcome = AttemptOutcome::retry;
    again.retry_at_ms = unix_now_ms();
    again.error = none.failure;
    asio::co_spawn(
        state_->executor,
        [self = shared_from_this(), tunnel, worker, d = std::move(*delivery), none, again]()
            -> asio::awaitable<void> { co_await self->finish(tunnel, *worker, d, none, again); },
        asio::detached);
    return;
  }
  asio::co_spawn(state_->executor, deliver(tunnel, worker, session, std::move(*delivery)),
                 asio::detached);
}

void DeliveryScheduler::stop() {
  if (stopped_) return;
  stopped_ = true;
  expire_timer_.cancel();
  for (auto& [tunnel, worker] : workers_) {
    worker->woken = true;
    worker->timer.cancel();
  }
  state_->delivery_wakeup = nullptr;
  state_->delivery_scheduler.reset();
}

std::shared_ptr<AgentSession> DeliveryScheduler::live_session(const std::string& tunnel) const {
  auto found = state_->registry.lookup(tunnel, std::chrono::steady_clock::now());
  if (found.state != SessionRegistry::State::live || !found.session) return nullptr;
  if (!found.session->accepting()) return nullptr;
  return found.session;
}

std::size_t DeliveryScheduler::concurrency_of(const core::BufferPolicy& policy) const {
  if (policy.ordered) return 1;
  return static_cast<std::size_t>(
      std::clamp(policy.concurrency, 1, core::BufferPolicyBounds::kMaxConcurrency));
}

core::BufferPolicy DeliveryScheduler::policy_for(const std::string& tunnel) const {
  // The policy the tunnel was bound with; the defaults for a tunnel whose policy is gone (its
  // agent bound it again without --buffer) but whose queue is not.
  const auto* policy = state_->buffer_policies.find(tunnel);
  return policy != nullptr ? *policy : core::BufferPolicy{};
}

std::int64_t DeliveryScheduler::lease_ms() const {
  const auto lease =
      state_->options.limits.response_timeout + state_->options.limits.stream_wait + kLeaseMargin;
  return std::chrono::duration_cast<std::chrono::milliseconds>(lease).count();
}

std::uint64_t DeliveryScheduler::random() { return random_(); }

asio::awaitable<void> DeliveryScheduler::sleep(Worker& worker, std::int64_t due_ms) {
  if (worker.woken || stopped_) co_return;
  if (due_ms > 0) {
    const auto delay = std::max<std::int64_t>(due_ms - unix_now_ms(), 0);
    worker.timer.expires_after(std::chrono::milliseconds(delay));
  } else {
    worker.timer.expires_at(asio::steady_timer::time_point::max());
  }
  co_await worker.timer.async_wait(kAwaitable);
}

asio::awaitable<void> DeliveryScheduler::run_worker(std::string tunnel,
                                                    std::shared_ptr<Worker> worker) {
  auto self = shared_from_this();
  for (;;) {
    worker->woken = false;  // whatever woke it is looked at below
    if (stopped_) break;
    auto session = live_session(tunnel);
    if (!session) {
      // Nobody to deliver to: the worker ends once its attempts have; the agent's connect
      // or bind starts it again.
      if (idle(*worker)) break;
      co_await sleep(*worker, 0);
      continue;
    }
    const auto policy = policy_for(tunnel);
    const std::size_t limit = concurrency_of(policy);
    const std::int64_t now = unix_now_ms();
    const bool held = policy.ordered && worker->hold_until_ms > now;
    // Refilled in batches, once half the deliveries in flight are done: one lease (one store
    // write) for many deliveries instead of one per finished attempt.
    // Outcomes still being written count too, up to as many again: a store slower than the
    // app must not pile up writes without bound.
    if (worker->in_flight >= limit || (limit > 1 && worker->in_flight > limit / 2) ||
        worker->in_flight + worker->recording >= 2 * limit) {
      co_await sleep(*worker, 0);  // an attempt's end wakes it
      continue;
    }
    if (held) {
      co_await sleep(*worker, worker->hold_until_ms);
      continue;
    }
    const std::size_t wanted = limit - worker->in_flight;
    auto leased = co_await queue_.lease(tunnel, wanted, now, lease_ms());
    if (!leased) {
      core::log_event(*state_->log, spdlog::level::err,
                      "cannot lease deliveries from the queue; trying again in 5 s",
                      {{"tunnel", tunnel}, {"error", leased.error().message()}});
      co_await sleep(*worker, unix_now_ms() + kStoreRetryMs);
      continue;
    }
    for (auto& delivery : *leased) {
      ++worker->in_flight;
      asio::co_spawn(state_->executor, deliver(tunnel, worker, session, std::move(delivery)),
                     asio::detached);
    }
    if (leased->size() == wanted) continue;  // maybe more are due: lease again (or wait)
    // Nothing more is due now: sleep until the next one is, or a wake-up.
    auto due = co_await queue_.next_due(tunnel);
    if (!due) {
      core::log_event(*state_->log, spdlog::level::err,
                      "cannot read the delivery queue; trying again in 5 s",
                      {{"tunnel", tunnel}, {"error", due.error().message()}});
      co_await sleep(*worker, unix_now_ms() + kStoreRetryMs);
      continue;
    }
    if (!*due) {
      if (!worker->woken) worker->caught_up = true;  // nothing due but what is in flight
      if (idle(*worker)) break;                      // the queue is empty
      co_await sleep(*worker, 0);
      continue;
    }
    // A due time in the past is one leased by another worker's lease just now, or an
    // expired lease: look again at once, but not in a tight loop.
    co_await sleep(*worker, std::max(**due, unix_now_ms() + kRecheckMs));
  }
  worker->running = false;
  // An idle tunnel leaves no trace; a wake-up during the last store call started no second
  // worker, since `running` was set: it was seen above (woken) or there was nothing to do.
  if (worker->in_flight == 0 && worker->recording == 0) {
    if (auto it = workers_.find(tunnel); it != workers_.end() && it->second == worker) {
      workers_.erase(it);
    }
  }
}

asio::awaitable<void> DeliveryScheduler::deliver(std::string tunnel, std::shared_ptr<Worker> worker,
                                                 std::shared_ptr<AgentSession> session,
                                                 store::Delivery delivery) {
  auto self = shared_from_this();
  const auto& limits = state_->options.limits;
  if (unix_now_ms() >= delivery.expires_at_ms) {
    // Past its ttl before this attempt began (expire() runs every 10 s): not delivered late.
    AttemptAnswer none;
    none.failure = "not attempted";
    AttemptDecision expired;
    expired.outcome = AttemptOutcome::dead;
    expired.error = "expired: queued longer than the tunnel's buffer_ttl";
    co_await finish(tunnel, *worker, delivery, none, expired);
    co_return;
  }
  const auto attempt_request_id = request_id();
  const auto headers =
      make_delivery_headers(delivery.headers, {.request_id = attempt_request_id.view(),
                                               .delivery_id = delivery.id,
                                               .received_at_ms = delivery.received_at_ms,
                                               .attempt = delivery.attempts});
  const AttemptLimits attempt_limits{.response_timeout = limits.response_timeout,
                                     .stream_wait = limits.stream_wait};
  const auto answer = co_await attempt_delivery(session, headers, delivery.body, attempt_limits);
  const RandomSource random = [this] { return this->random(); };
  const auto decision =
      decide(answer, delivery.attempts, unix_now_ms(), delivery.expires_at_ms, random);
  co_await finish(tunnel, *worker, delivery, answer, decision);
}

asio::awaitable<void> DeliveryScheduler::finish(const std::string& tunnel, Worker& worker,
                                                const store::Delivery& delivery,
                                                const AttemptAnswer& answer,
                                                const AttemptDecision& decision) {
  const std::int64_t now = unix_now_ms();
  const auto attempts = delivery.attempts;
  // Ordered: the head blocks the queue until its retry time, from now on.
  worker.hold_until_ms =
      decision.outcome == AttemptOutcome::retry ? decision.retry_at_ms : std::int64_t{0};
  --worker.in_flight;
  ++worker.recording;
  notify(worker);
  // No status (the attempt got no answer) leaves the field out.
  const core::LogValue status =
      answer.status != 0 ? core::LogValue(answer.status) : core::LogValue("");
  core::error_code recorded;
  switch (decision.outcome) {
    case AttemptOutcome::delivered: {
      auto r = co_await queue_.ack(delivery.id, answer.status, now);
      if (!r) recorded = r.error();
      core::log_request_event(*state_->log, spdlog::level::info, "delivered",
                              {{"tunnel", tunnel},
                               {"delivery", delivery.id},
                               {"status", status},
                               {"attempts", attempts}});
      break;
    }
    case AttemptOutcome::retry: {
      auto r = co_await queue_.nack(delivery.id, answer.status, decision.error,
                                    decision.retry_at_ms, now);
      // The store did not take the nack: the head is due again only at its lease end.
      if (!r) {
        recorded = r.error();
        worker.hold_until_ms = now + lease_ms();
      }
      core::log_request_event(*state_->log, spdlog::level::info, "delivery failed; retrying later",
                              {{"tunnel", tunnel},
                               {"delivery", delivery.id},
                               {"attempts", attempts},
                               {"error", decision.error},
                               {"retry_in_ms", decision.retry_at_ms - now}});
      break;
    }
    case AttemptOutcome::dead: {
      auto r = co_await queue_.dead_letter(delivery.id, answer.status, decision.error, now);
      if (!r) recorded = r.error();
      core::log_event(*state_->log, spdlog::level::warn,
                      "delivery dead-lettered; retry it with `relay queue retry` once the cause "
                      "is fixed",
                      {{"tunnel", tunnel},
                       {"delivery", delivery.id},
                       {"attempts", attempts},
                       {"error", decision.error}});
      break;
    }
  }
  if (recorded) {
    core::log_event(*state_->log, spdlog::level::err,
                    "cannot record a delivery's outcome; it is attempted again when its lease "
                    "ends",
                    {{"tunnel", tunnel}, {"delivery", delivery.id}, {"error", recorded.message()}});
  }
  --worker.recording;
  notify(worker);
  // A retry is due later: a worker must be there to lease it then (a handed-over delivery's
  // worker may not be running).
  if (decision.outcome == AttemptOutcome::retry && !worker.running) wake(tunnel);
}

bool DeliveryScheduler::idle(const Worker& worker) {
  return worker.in_flight == 0 && worker.recording == 0 && !worker.woken;
}

void DeliveryScheduler::notify(Worker& worker) {
  // A worker ends only once nothing is in flight or being recorded (or the edge stops), so
  // the one that leased this delivery is still there to be told.
  if (!worker.running) return;
  worker.woken = true;
  worker.timer.cancel();
}

asio::awaitable<void> DeliveryScheduler::expire_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    expire_timer_.expires_after(kExpireEvery);
    co_await expire_timer_.async_wait(kAwaitable);
    if (stopped_) break;
    const std::int64_t retention =
        std::chrono::duration_cast<std::chrono::milliseconds>(kRetention).count();
    auto expired = co_await queue_.expire(unix_now_ms(), retention);
    if (!expired) {
      core::log_event(*state_->log, spdlog::level::err, "cannot expire old deliveries",
                      {{"error", expired.error().message()}});
    } else if (*expired > 0) {
      core::log_event(*state_->log, spdlog::level::warn,
                      "deliveries dead-lettered: queued longer than their tunnel's buffer_ttl",
                      {{"count", *expired}});
    }
    // A lease that lapsed (an edge that died mid-attempt) makes a delivery due again without
    // anyone being told: look at every tunnel with a backlog now and then.
    auto tunnels = co_await queue_.tunnels_with_queued();
    if (tunnels) {
      for (const auto& t : *tunnels) {
        auto it = workers_.find(t);
        if ((it == workers_.end() || !it->second->running) && live_session(t)) wake(t);
      }
    }
  }
}

}  // namespace relay::edge
