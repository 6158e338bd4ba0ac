#include "relay/net/backoff.hpp"

#include <algorithm>

namespace relay::net {

Backoff::Backoff(BackoffOptions options, std::uint64_t seed) : options_(options), rng_(seed) {
  if (options_.initial.count() <= 0) options_.initial = std::chrono::milliseconds{1};
  if (options_.max < options_.initial) options_.max = options_.initial;
}

std::chrono::milliseconds Backoff::ceiling() const {
  // Doubling stops once the cap is reached, so the shift never overflows.
  auto bound = options_.initial.count();
  for (int i = 0; i < attempts_ && bound < options_.max.count(); ++i) bound *= 2;
  return std::chrono::milliseconds{std::min<std::int64_t>(bound, options_.max.count())};
}

std::chrono::milliseconds Backoff::next() {
  auto bound = ceiling().count();
  ++attempts_;
  std::uniform_int_distribution<std::int64_t> pick(0, bound);
  return std::chrono::milliseconds{pick(rng_)};
}

void Backoff::session_ended(std::chrono::steady_clock::duration lived) {
  if (lived > options_.reset_after) reset();
}

}  // namespace relay::net
