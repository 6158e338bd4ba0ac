#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace relay::core {

// How a tunnel's webhooks survive an absent agent or app (docs/delivery.md, issue 11).
//   off      requests go live only (the default)
//   offline  live while the agent and app answer; queued when the agent is away or the app
//            cannot take the request (refused, timeout, 502/503/504, RELAY_UPSTREAM_*)
//   always   every request is queued and answered at once, then delivered asynchronously
enum class BufferMode { off, offline, always };

std::string_view to_string(BufferMode mode);
// "off", "offline", "always"; nullopt for anything else.
std::optional<BufferMode> parse_buffer_mode(std::string_view text);

// A tunnel's durable delivery policy. The agent sends it when it binds the name; the edge
// persists it with the name, so it keeps queueing while the agent is away and across edge
// restarts. Re-sign before delivery is the agent's business (it holds the secret) and is not
// part of it.
struct BufferPolicy {
  BufferMode mode = BufferMode::off;
  std::chrono::seconds ttl{std::chrono::hours(72)};  // older undelivered: dead-lettered
  std::uint64_t max_events = 100000;                 // queued per tunnel; more: 503
  int status = 200;                                  // the "queued" answer (2xx)
  int concurrency = 4;                               // deliveries in flight per tunnel
  bool ordered = false;                              // strictly one at a time, oldest first
  std::chrono::seconds dedupe_window{std::chrono::hours(24)};

  [[nodiscard]] bool enabled() const { return mode != BufferMode::off; }
  bool operator==(const BufferPolicy&) const = default;
};

// Bounds the edge accepts (and the agent's config checks): what a policy outside them is refused
// with, so the two ends agree.
struct BufferPolicyBounds {
  static constexpr std::chrono::seconds kMaxTtl{std::chrono::hours(24 * 30)};
  static constexpr std::uint64_t kMaxEvents = 10'000'000;
  static constexpr int kMaxConcurrency = 64;
  static constexpr std::chrono::seconds kMaxDedupeWindow{std::chrono::hours(24 * 30)};
};

// "" when the policy is within BufferPolicyBounds, else what is wrong (for a config error or the
// edge's 400 bad_buffer_policy).
std::string_view buffer_policy_error(const BufferPolicy& policy);

}  // namespace relay::core
