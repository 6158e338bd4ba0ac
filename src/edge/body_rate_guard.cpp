#include "edge/body_rate_guard.hpp"

#include <algorithm>

namespace relay::edge {

BodyRateGuard::BodyRateGuard(const boost::asio::any_io_executor& ex,
                             boost::asio::ip::tcp::socket& socket, std::size_t min_rate,
                             std::chrono::seconds grace)
    : socket_(socket), min_rate_(min_rate), grace_(grace), deadline_(ex) {}

bool BodyRateGuard::read_started(std::function<std::size_t()> filled) {
  filled_ = std::move(filled);
  read_started_ = std::chrono::steady_clock::now();
  if (min_rate_ > 0) check();
  return !too_slow_;
}

void BodyRateGuard::read_ended(std::size_t got) {
  deadline_.disarm();
  reading_ += std::chrono::steady_clock::now() - read_started_;
  received_ += got;
}

void BodyRateGuard::check() {
  const seconds_f left =
      seconds_f(grace_) +
      seconds_f(static_cast<double>(received_ + filled_()) / static_cast<double>(min_rate_)) -
      reading_ - (std::chrono::steady_clock::now() - read_started_);
  if (left > seconds_f(0)) {
    deadline_.arm(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::max(left, seconds_f(0.001))),
                  [this] { check(); });
    return;
  }
  too_slow_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

}  // namespace relay::edge
