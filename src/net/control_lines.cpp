#include "relay/net/control_lines.hpp"

namespace relay::net::protocol {

void ControlLines::feed(std::string_view chunk) {
  pending_.erase(0, start_);
  start_ = 0;
  pending_.append(chunk);
}

std::optional<std::string_view> ControlLines::next() {
  for (auto nl = pending_.find('\n', start_); nl != std::string::npos;
       nl = pending_.find('\n', start_)) {
    std::string_view line(pending_.data() + start_, nl - start_);
    start_ = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) return line;
  }
  return std::nullopt;
}

}  // namespace relay::net::protocol
