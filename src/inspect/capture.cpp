#include "relay/inspect/capture.hpp"

#include <algorithm>

namespace relay::inspect {
namespace {

// What a string holds on the heap: nothing for short ones (kept inline), else its capacity.
std::size_t heap_bytes(const std::string& s) {
  return s.capacity() > std::string{}.capacity() ? s.capacity() + 1 : 0;
}

}  // namespace

void CapturedBody::append(std::string_view chunk, std::size_t limit) {
  size += chunk.size();
  const std::size_t room = limit > data.size() ? limit - data.size() : 0;
  const auto kept = chunk.substr(0, std::min(room, chunk.size()));
  truncated = truncated || chunk.size() > room;
  if (data.size() + kept.size() > data.capacity()) {
    // Grow as std::string would (doubling), but never past the limit: a body captured in 16 KiB
    // frames would otherwise hold 128 KiB for a 64 KiB capture.
    std::string grown;
    grown.reserve(std::min(limit, std::max(data.size() + kept.size(), 2 * data.capacity())));
    grown.append(data);
    data.swap(grown);
  }
  data.append(kept);
}

// Close to what the capture really holds in memory (capacities, header fields, the object
// itself), so the store's byte cap bounds the agent's RSS and not only the bytes shown.
std::size_t Capture::cost() const {
  std::size_t n = sizeof(Capture) + heap_bytes(request_body.data) + heap_bytes(response_body.data) +
                  heap_bytes(url) + heap_bytes(remote_addr) + heap_bytes(public_url) +
                  heap_bytes(error) + heap_bytes(delivery_id) + request_headers.memory_bytes() +
                  response_headers.memory_bytes();
  if (verdict) n += heap_bytes(verdict->reason) + heap_bytes(verdict->provider);
  return n;
}

}  // namespace relay::inspect
