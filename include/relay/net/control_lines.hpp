#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace relay::net::protocol {

// The control stream's framing (docs/protocol.md): one JSON message per line, "\n" or "\r\n",
// empty lines ignored. Bytes arrive in DATA-frame chunks that split lines anywhere; this joins
// them. `max_line` bounds the unfinished line, so a peer that never sends "\n" cannot grow the
// buffer: each side sets it to what the other side can legitimately send.
class ControlLines {
 public:
  explicit ControlLines(std::size_t max_line) : max_line_(max_line) {}

  // Appends a chunk. Views returned by next() are invalid after this.
  void feed(std::string_view chunk);
  // The next whole, non-empty line without its end; nullopt until more is fed.
  [[nodiscard]] std::optional<std::string_view> next();
  // After next() returned nullopt: the unfinished line is already longer than max_line.
  [[nodiscard]] bool overflowed() const { return pending_.size() - start_ > max_line_; }
  [[nodiscard]] std::size_t max_line() const { return max_line_; }

 private:
  std::string pending_;
  std::size_t start_ = 0;  // pending_ before this was returned already
  std::size_t max_line_;
};

}  // namespace relay::net::protocol
