// libFuzzer: relay/1 control messages (one JSON line each), parsed and re-serialised; and the
// same bytes as a control stream, split into lines in two chunks.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "relay/net/control_lines.hpp"
#include "relay/net/tunnel_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace protocol = relay::net::protocol;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  if (auto message = protocol::parse_control_message(line)) {
    // A message that parsed must survive a round trip unchanged in kind.
    auto again = protocol::parse_control_message(protocol::serialize(*message));
    if (!again || again->index() != message->index()) __builtin_trap();
  }
  if (auto request = protocol::parse_connect_request(line); !request) {
    if (request.error().message.empty()) __builtin_trap();  // every refusal says why
  }
  (void)protocol::parse_error_body(line);

  protocol::ControlLines lines(64);
  lines.feed(line.substr(0, size / 2));
  std::size_t taken = 0;
  while (auto l = lines.next()) taken += l->size() + 1;
  lines.feed(line.substr(size / 2));
  while (auto l = lines.next()) {
    if (l->empty() || l->find('\n') != std::string_view::npos) __builtin_trap();
    taken += l->size() + 1;
  }
  if (taken > size + 1) __builtin_trap();
  return 0;
}
