#include "edge/stream_budget.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relay::edge {

namespace asio = boost::asio;

asio::awaitable<StreamBudget::Ticket> StreamBudget::acquire(
    std::function<std::size_t()> limit, std::chrono::steady_clock::time_point deadline) {
  // Waiters go first: a newcomer must not overtake a request that waits or was just woken.
  bool must_wait = in_use_ + woken_ >= limit() || !waiters_.empty();
  while (must_wait) {
    const bool woken = co_await wait_turn(deadline);
    if (!woken) {
      Ticket none;
      co_return none;
    }
    must_wait = in_use_ >= limit();
  }
  ++in_use_;
  Ticket ticket(this);
  co_return ticket;
}

StreamBudget::Ticket StreamBudget::try_acquire(std::size_t limit) {
  if (in_use_ + woken_ >= limit || !waiters_.empty()) return {};
  ++in_use_;
  return Ticket(this);
}

// True when woken by a release, false at the deadline.
asio::awaitable<bool> StreamBudget::wait_turn(std::chrono::steady_clock::time_point deadline) {
  if (std::chrono::steady_clock::now() >= deadline) co_return false;
  asio::steady_timer timer(executor_, deadline);
  Waiter waiter{&timer};
  waiters_.push_back(&waiter);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!waiter.woken) {
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
    co_return false;
  }
  --woken_;
  co_return true;
}

void StreamBudget::release() {
  if (in_use_ > 0) --in_use_;
  if (waiters_.empty()) return;
  Waiter* next = waiters_.front();
  waiters_.pop_front();
  next->woken = true;
  ++woken_;
  next->timer->cancel();
}

}  // namespace relay::edge
