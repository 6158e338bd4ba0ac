#include "relay/net/async_event.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relay::net {

boost::asio::awaitable<void> AsyncEvent::wait() {
  if (!set_) {
    if (!timer_) timer_.emplace(executor_);
    timer_->expires_at(boost::asio::steady_timer::time_point::max());
    // Completes with operation_aborted when notify() cancels the timer: that is the wake-up.
    co_await timer_->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  set_ = false;
}

}  // namespace relay::net
