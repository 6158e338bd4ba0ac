#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "relay/core/buffer_policy.hpp"
#include "relay/core/headers.hpp"
#include "relay/core/result.hpp"

namespace relay::store {

enum class DeliveryState { queued, delivering, delivered, dead };

std::string_view to_string(DeliveryState state);  // "queued", "delivering", "delivered", "dead"
std::optional<DeliveryState> parse_delivery_state(std::string_view text);

// A public request the edge keeps to deliver later, as it would have forwarded it.
struct NewDelivery {
  std::string tunnel;
  // The HTTP/2 request the edge builds for the agent (edge/request_head.hpp,
  // make_stream_headers): pseudo-headers first, then the caller's fields and relay-tunnel,
  // relay-request-id, relay-remote-addr. Replayed as is; the delivery headers are added per
  // attempt.
  core::Headers headers;
  std::string body;                 // byte-exact
  std::int64_t received_at_ms = 0;  // Unix ms, when the edge had the whole request
  std::string event_id;             // the provider's event id; "" none (no dedupe)
  // Not 0: stored already leased until then (Unix ms), as its first attempt, for a worker
  // that takes it from memory at once (the edge's hand-over, edge/delivery_scheduler.hpp)
  // instead of leasing it back from the store.
  std::int64_t leased_until_ms = 0;
};

// One stored delivery. `body` and `headers` are filled by lease() and get(); list() leaves them
// empty (a list is for people, not for delivery).
struct Delivery {
  std::string id;  // unique within the store; opaque to callers
  std::string tunnel;
  DeliveryState state = DeliveryState::queued;
  core::Headers headers;
  std::string body;
  std::uint64_t body_bytes = 0;
  std::string method;  // from :method, for lists
  std::string path;    // from :path
  std::string event_id;
  std::int64_t received_at_ms = 0;
  std::int64_t expires_at_ms = 0;       // received_at + the policy's ttl at append
  std::int64_t next_attempt_at_ms = 0;  // queued: due from then; delivering: lease end
  int attempts = 0;                     // attempts made (the next one is attempts + 1)
  int last_status = 0;                  // the last attempt's HTTP status; 0 none
  std::string last_error;               // the last attempt's failure, or why it is dead
  std::int64_t updated_at_ms = 0;
};

struct AppendOutcome {
  std::string id;          // the new delivery, or the earlier one of a duplicate
  bool duplicate = false;  // event_id seen on this tunnel within the dedupe window: not stored
};

struct DeliveryFilter {
  std::string tunnel;                  // "" every tunnel
  std::optional<DeliveryState> state;  // nullopt every state
  std::size_t limit = 100;             // newest first
};

struct TunnelQueueStats {
  std::string tunnel;
  std::uint64_t queued = 0;
  std::uint64_t delivering = 0;
  std::uint64_t delivered = 0;  // still kept (retention)
  std::uint64_t dead = 0;
  std::int64_t oldest_queued_ms = 0;  // received_at of the oldest queued one; 0 none
  std::uint64_t queued_bytes = 0;
};

// The durable delivery queue of one edge (SQLite, with a group-commit thread) or of a cluster
// (Redis Streams, issue 12). Every call is asynchronous and completes on the calling
// coroutine's executor; the SQLite implementation never blocks the io thread on disk.
// Errors: store::Errc::full (the tunnel's max_events, or the store's size limit),
// store::Errc::unavailable (I/O error, disk full, corrupt); the implementation logs details.
// Times are Unix milliseconds, passed in so that tests choose them.
class DeliveryQueue {
 public:
  template <class T>
  using Async = boost::asio::awaitable<core::Result<T>>;

  virtual ~DeliveryQueue() = default;

  // Stores `delivery` and returns once it is durable (fsync'd; concurrent appends share one
  // commit). A non-empty event_id already appended or remembered on the tunnel within
  // policy.dedupe_window is not stored: {earlier id, duplicate = true}. Errc::full when the
  // tunnel already holds policy.max_events queued or delivering deliveries.
  virtual Async<AppendOutcome> append(NewDelivery delivery, const core::BufferPolicy& policy) = 0;
  // A request the app took live (offline mode, 2xx): its event id counts for dedupe from now on.
  virtual Async<void> remember_event(std::string tunnel, std::string event_id,
                                     std::string request_id, std::int64_t now_ms) = 0;
  // The delivery (or live request) id that already carried `event_id` on `tunnel` since
  // `since_ms`; nullopt none.
  virtual Async<std::optional<std::string>> find_event(std::string tunnel, std::string event_id,
                                                       std::int64_t since_ms) = 0;

  // Up to `max` of the tunnel's due deliveries (queued, next_attempt_at <= now), oldest first,
  // with headers and body; each becomes `delivering` until now + lease_ms, after which it is
  // due again (the edge that leased it died). `attempts` is incremented.
  virtual Async<std::vector<Delivery>> lease(std::string tunnel, std::size_t max,
                                             std::int64_t now_ms, std::int64_t lease_ms) = 0;
  // Delivered: kept without its body for the retention period.
  virtual Async<void> ack(std::string id, int status, std::int64_t now_ms) = 0;
  // Failed, to be retried at retry_at_ms.
  virtual Async<void> nack(std::string id, int status, std::string error, std::int64_t retry_at_ms,
                           std::int64_t now_ms) = 0;
  // Failed for good (a 4xx, a bad signature, past its ttl): kept with its body for inspection
  // and retry.
  virtual Async<void> dead_letter(std::string id, int status, std::string error,
                                  std::int64_t now_ms) = 0;
  // Dead-letters queued deliveries past expires_at ("expired: queued longer than the tunnel's
  // buffer_ttl"), removes delivered and dead ones last updated before now - retention_ms and
  // dedupe entries past their window. Returns how many were dead-lettered.
  virtual Async<std::uint64_t> expire(std::int64_t now_ms, std::int64_t retention_ms) = 0;
  // When the tunnel's next queued delivery is due; nullopt when none is queued.
  virtual Async<std::optional<std::int64_t>> next_due(std::string tunnel) = 0;
  // Tunnels with queued deliveries (the edge starts their schedulers after a restart).
  virtual Async<std::vector<std::string>> tunnels_with_queued() = 0;

  // For people: the inspector, `relay queue`, `relay edge queue`.
  virtual Async<std::vector<Delivery>> list(DeliveryFilter filter) = 0;
  virtual Async<std::optional<Delivery>> get(std::string id) = 0;
  // A dead or delivered one is queued again, due now, attempts reset; false: no such id, or
  // it is queued or delivering already.
  virtual Async<bool> retry(std::string id, std::int64_t now_ms) = 0;
  // Removes one delivery (not while delivering); false: no such id.
  virtual Async<bool> drop(std::string id) = 0;
  // Removes the tunnel's deliveries in `state` (nullopt: every state but delivering).
  virtual Async<std::uint64_t> purge(std::string tunnel, std::optional<DeliveryState> state) = 0;
  virtual Async<std::vector<TunnelQueueStats>> stats() = 0;
};

// The buffer policy each tunnel name was last bound with, persisted with the name so that an
// edge restarted while the agent is away still queues for it. Synchronous and rare (a bind),
// like NameStore.
class PolicyStore {
 public:
  virtual ~PolicyStore() = default;
  // Replaces the name's policy; a policy that is off removes it.
  virtual core::Result<void> save(std::string_view name, const core::BufferPolicy& policy) = 0;
  virtual core::Result<std::vector<std::pair<std::string, core::BufferPolicy>>> all() = 0;
};

}  // namespace relay::store
