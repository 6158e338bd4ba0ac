#include "relay/net/timed_socket.hpp"

namespace relay::net {

namespace detail {

namespace {
constexpr auto kNever = std::chrono::steady_clock::time_point::max();
constexpr auto kNotArmed = std::chrono::steady_clock::time_point{};
}  // namespace

void TimedSocketState::operation_started() {
  ++pending;
  arm();
}

void TimedSocketState::operation_ended() noexcept {
  if (--pending == 0) disarm();  // the time between operations does not count
}

void TimedSocketState::arm() {
  if (expiry == kNever || timed_out) {
    disarm();
    return;
  }
  // An operation pending alongside another under the same expiry (a read while a write is)
  // costs a comparison; one after it re-arms the lazy deadline, which costs no timer operation.
  if (armed_for == expiry) return;
  armed_for = expiry;
  deadline.arm_at(expiry, [this] {
    timed_out = true;
    armed_for = kNotArmed;
    boost::system::error_code ignored;
    socket.close(ignored);  // fails what is pending, and what starts later
  });
}

void TimedSocketState::disarm() noexcept {
  if (armed_for == kNotArmed) return;
  deadline.disarm();
  armed_for = kNotArmed;
}

}  // namespace detail

void TimedSocket::expires_at(std::chrono::steady_clock::time_point expiry) {
  state_->expiry = expiry;
  if (state_->pending > 0) state_->arm();  // else when the next operation starts
}

void TimedSocket::expires_never() noexcept {
  state_->expiry = std::chrono::steady_clock::time_point::max();
  state_->disarm();
}

}  // namespace relay::net
