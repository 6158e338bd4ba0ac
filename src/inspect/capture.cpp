#include "relay/inspect/capture.hpp"

#include <algorithm>

namespace relay::inspect {

void CapturedBody::append(std::string_view chunk, std::size_t limit) {
  size += chunk.size();
  const std::size_t room = limit > data.size() ? limit - data.size() : 0;
  data.append(chunk.substr(0, std::min(room, chunk.size())));
  truncated = truncated || chunk.size() > room;
}

std::size_t Capture::cost() const {
  std::size_t n = request_body.data.size() + response_body.data.size() + url.size() +
                  remote_addr.size() + error.size() + 256;
  for (const auto& f : request_headers) n += f.name.size() + f.value.size() + 4;
  for (const auto& f : response_headers) n += f.name.size() + f.value.size() + 4;
  if (verdict) n += verdict->reason.size() + verdict->provider.size();
  return n;
}

}  // namespace relay::inspect
