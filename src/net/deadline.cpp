#include "relay/net/deadline.hpp"

#include <utility>

namespace relay::net {

Deadline::~Deadline() {
  if (!alive_) return;  // never waited
  *alive_ = false;      // a handler already queued sees this and does nothing
  if (waiting_) timer_.cancel();
}

void Deadline::arm_at(clock::time_point expiry, std::function<void()> action) {
  expiry_ = expiry;
  action_ = std::move(action);
  armed_ = true;
  expired_ = false;
  // The wait in flight fires no later than the new expiry and then waits for the rest.
  if (waiting_ && timer_.expiry() <= expiry_) return;
  wait();  // moving the timer earlier aborts the wait in flight: its handler is superseded
}

void Deadline::disarm() noexcept {
  armed_ = false;
  action_ = nullptr;  // releases what the action holds (a stream, a socket's owner) now
}

void Deadline::wait() {
  if (!alive_) alive_ = std::make_shared<bool>(true);
  timer_.expires_at(expiry_);
  waiting_ = true;
  timer_.async_wait([this, alive = alive_, id = ++wait_id_](const boost::system::error_code& ec) {
    if (!*alive || id != wait_id_) return;
    fired(ec);
  });
}

void Deadline::fired(const boost::system::error_code& ec) {
  waiting_ = false;
  if (ec || !armed_) return;
  if (clock::now() < expiry_) {  // re-armed for later while this wait was in flight
    wait();
    return;
  }
  armed_ = false;
  expired_ = true;
  // Moved out first: the action may re-arm this deadline, or destroy it.
  auto action = std::move(action_);
  action_ = nullptr;
  if (action) action();
}

}  // namespace relay::net
