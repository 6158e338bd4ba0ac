#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "edge/retry_policy.hpp"
#include "relay/core/buffer_policy.hpp"
#include "relay/store/delivery_queue.hpp"

namespace relay::edge {

struct EdgeState;
class AgentSession;

// Drains each tunnel's queue through the agent session that holds the tunnel (issue 11,
// docs/delivery.md): lease → one HTTP/2 stream per delivery → ack, nack with a retry time, or
// dead-letter. One worker coroutine per tunnel that has deliveries due and a live session; it
// ends when either is gone and is started again by wake(): a new append (EdgeState::
// delivery_wakeup), a session attaching or binding the name, a retry asked over the control
// stream. At most the policy's concurrency deliveries are in flight per tunnel (1 when
// ordered: the head of the queue blocks the rest until it is delivered, dead, or its retry
// time has come). Every 10 s the queue's expire() dead-letters what outlived its ttl and drops
// old delivered/dead rows. Lives on the io thread.
class DeliveryScheduler : public std::enable_shared_from_this<DeliveryScheduler> {
 public:
  DeliveryScheduler(std::shared_ptr<EdgeState> state, store::DeliveryQueue& queue);
  DeliveryScheduler(const DeliveryScheduler&) = delete;
  DeliveryScheduler& operator=(const DeliveryScheduler&) = delete;

  // Sets EdgeState::delivery_wakeup, starts the expiry loop and a worker for every tunnel with
  // queued deliveries (after a restart they wait for their agent).
  void start();
  // The tunnel may have deliveries due, or a session to take them: start its worker, or make
  // the running one look again.
  void wake(const std::string& tunnel);
  // The hand-over, for `always` tunnels whose agent is connected: a place in the tunnel's
  // delivery concurrency for a request about to be stored, so that the append stores it
  // already leased and the worker delivers it from memory, without the lease that reads it
  // back (a third of the store's work per request). Returns the lease length in ms, or 0 for
  // no place: no live session, an ordered tunnel, the worker at its concurrency (at half of it
  // while the store holds a backlog, which needs the rest), the edge stopping. Then the
  // request is appended queued.
  std::int64_t claim(const std::string& tunnel);
  // The claimed place's delivery, as stored; nullopt when the append did not store it.
  void hand_over(const std::string& tunnel, std::optional<store::Delivery> delivery);
  // The edge is stopping: no new leases; attempts in flight end with their streams (EdgeServer
  // drains the sessions) and record their outcome; unfinished leases expire in the store.
  void stop();

  // Kept as long after their last change as the queue keeps delivered and dead deliveries.
  static constexpr std::chrono::hours kRetention{24 * 7};
  static constexpr std::chrono::seconds kExpireEvery{10};

 private:
  struct Worker {
    explicit Worker(const boost::asio::any_io_executor& ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    bool woken = false;
    bool running = false;
    std::size_t in_flight = 0;  // attempts under way
    std::size_t recording = 0;  // attempts over, their outcome being written to the queue
    // The store holds nothing due for the tunnel but what is in flight: hand-overs may take
    // every place (claim).
    bool caught_up = false;
    // Ordered tunnels: the head failed and is due again at this time (Unix ms); nothing else
    // is leased before it.
    std::int64_t hold_until_ms = 0;
  };

  boost::asio::awaitable<void> run_worker(std::string tunnel, std::shared_ptr<Worker> worker);
  boost::asio::awaitable<void> deliver(std::string tunnel, std::shared_ptr<Worker> worker,
                                       std::shared_ptr<AgentSession> session,
                                       store::Delivery delivery);
  // Records an attempt's outcome in the queue and logs it. The attempt's place is free as
  // soon as it is over: a store write (an fsync) does not hold a delivery slot.
  boost::asio::awaitable<void> finish(const std::string& tunnel, Worker& worker,
                                      const store::Delivery& delivery, const AttemptAnswer& answer,
                                      const AttemptDecision& decision);
  boost::asio::awaitable<void> expire_loop();
  // Waits until woken, or until `due_ms` (Unix ms; 0: no time, only a wake-up).
  boost::asio::awaitable<void> sleep(Worker& worker, std::int64_t due_ms);
  static bool idle(const Worker& worker);  // nothing under way and nothing new to look at
  static void notify(Worker& worker);
  std::shared_ptr<AgentSession> live_session(const std::string& tunnel) const;
  [[nodiscard]] std::size_t concurrency_of(const core::BufferPolicy& policy) const;
  [[nodiscard]] core::BufferPolicy policy_for(const std::string& tunnel) const;
  [[nodiscard]] std::int64_t lease_ms() const;
  std::uint64_t random();

  std::shared_ptr<EdgeState> state_;
  store::DeliveryQueue& queue_;
  std::unordered_map<std::string, std::shared_ptr<Worker>> workers_;
  boost::asio::steady_timer expire_timer_;
  std::mt19937_64 random_;
  bool stopped_ = false;
};

}  // namespace relay::edge
