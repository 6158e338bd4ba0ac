// libFuzzer: the peer link's hello / answer lines (edge/peer_protocol.hpp) and the peer address
// parser. Both read bytes from another machine (the line) or from Redis (the address). Whatever
// a line parser accepts must print back to the same line; an accepted address must round-trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "edge/peer_protocol.hpp"
#include "relay/edge/peer_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace relay::edge::peer;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool answer : {false, true}) {
    auto parsed = parse_line(text, answer);
    if (!parsed) continue;
    if (!parsed->ok) {
      if (!answer) __builtin_trap();  // a dialer never sends DENIED
      continue;
    }
    if (!is_valid_edge_id(parsed->edge_id) || parsed->proof.size() != 32) __builtin_trap();
    auto again = answer ? ok_line(parsed->edge_id, parsed->proof)
                        : hello_line(parsed->edge_id, parsed->proof);
    again.pop_back();
    auto reparsed = parse_line(again, answer);
    if (!reparsed || reparsed->edge_id != parsed->edge_id || reparsed->proof != parsed->proof) {
      __builtin_trap();
    }
  }
  if (auto address = parse_peer_address(text)) {
    if (address->port == 0) __builtin_trap();
    auto again = parse_peer_address(address->to_string());
    if (!again || again->host != address->host || again->port != address->port) __builtin_trap();
  } else if (address.error().message.empty()) {
    __builtin_trap();  // every refusal says why
  }
  (void)remote_addr_ip(text);
  return 0;
}
