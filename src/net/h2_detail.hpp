#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <cstring>
#include <forward_list>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/headers.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::net::detail {

// Frames are gathered into one TLS write up to about this size: one syscall and one TLS record
// run for many small frames (the coalescing that keeps tunnels off Nagle's path).
inline constexpr std::size_t kWriteCoalesce = 64u * 1024;

// Whether `s` has a byte in 'A'..'Z', eight bytes at a time: it runs on every field name of
// every request and response, and a byte loop cost ~1k instructions per request on the edge.
inline bool has_ascii_upper(std::string_view s) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHigh = kOnes * 0x80;
  // Per byte b of `word`, cleared to 7 bits first so that no sum carries into the next byte:
  // b + (0x80 - 'A') has its high bit set iff b >= 'A', b + (0x80 - 'Z' - 1) iff b > 'Z'.
  // Bytes that had the high bit (not ASCII) are masked out by ~word.
  auto any_upper = [&](std::uint64_t word) {
    const std::uint64_t low7 = word & ~kHigh;
    const std::uint64_t at_least_a = low7 + kOnes * (0x80 - 'A');
    const std::uint64_t past_z = low7 + kOnes * (0x80 - 'Z' - 1);
    return (at_least_a & ~past_z & ~word & kHigh) != 0;
  };
  std::uint64_t word = 0;
  if (s.size() < sizeof word) {
    std::memcpy(&word, s.data(), s.size());  // zero bytes are not upper case
    return any_upper(word);
  }
  for (std::size_t i = 0; i + sizeof word <= s.size(); i += sizeof word) {
    std::memcpy(&word, s.data() + i, sizeof word);
    if (any_upper(word)) return true;
  }
  // The last (partial) word, read as the final eight bytes: the overlap is checked twice.
  std::memcpy(&word, s.data() + s.size() - sizeof word, sizeof word);
  return any_upper(word);
}

// HTTP/2 forbids upper case in names (a peer's nghttp2 would reset the stream), and nghttp2
// lower-cases only the fields it copies: a list lent to it (NO_COPY) goes through here first.
// Callers pass lower case: the copy is for a stray upper-case name.
core::Headers lower_case_names(core::Headers headers);

// Header fields for nghttp2, with lower-cased names (HTTP/2 forbids upper case, and a peer's
// nghttp2 would reset the stream). Points at the caller's strings, which must outlive the
// submit call (nghttp2 copies them there); only a name that needs lower-casing is copied.
class NvList {
 public:
  // `indexed_names`: the session's record of which per-request fields it has indexed once
  // (see index_flag()); null indexes none of them.
  explicit NvList(std::uint8_t* indexed_names = nullptr) : indexed_names_(indexed_names) {}
  void reserve(std::size_t n) { nv_.reserve(n); }
  void add(std::string_view name, std::string_view value) {
    if (has_ascii_upper(name)) {
      auto& n = storage_.emplace_front(name);
      for (auto& c : n) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      name = n;
    }
    push(name, value, NGHTTP2_NV_FLAG_NONE);
  }
  // A field nghttp2 does not copy (NO_COPY): `name` is already lower case, and both stay
  // where they are until nghttp2 has packed the HEADERS frame or dropped it.
  void add_borrowed(std::string_view name, std::string_view value) {
    push(name, value, NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE);
  }
  nghttp2_nv* data() { return nv_.data(); }
  std::size_t size() const { return nv_.size(); }

 private:
  // add()'s and add_borrowed()'s field, with its copy flags and its indexing choice.
  void push(std::string_view name, std::string_view value, int copy_flags) {
    nv_.push_back({const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(name.data())),
                   const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(value.data())),
                   name.size(), value.size(),
                   static_cast<std::uint8_t>(copy_flags | index_flag(name))});
  }
  // Values that never repeat stay out of HPACK's dynamic table: indexed, each would evict the
  // entries that do repeat (the tunnel, the caller's address, content-type...), so every field
  // would be sent and decoded as a literal again, and both tables copied per request.
  // Their names do enter it, once per session: the first such field is indexed, and later
  // ones find the name there and send only the value as a literal; otherwise each request
  // Huffman-codes the name again (edge) and decodes it (agent). The single entry per name
  // (under 100 bytes) stays, since nothing else churns the table.
  std::uint8_t index_flag(std::string_view name) {
    const std::uint8_t bit = unique_per_request(name);
    if (bit == 0) return NGHTTP2_NV_FLAG_NONE;
    if (indexed_names_ == nullptr || (*indexed_names_ & bit) != 0) return NGHTTP2_NV_FLAG_NO_INDEX;
    *indexed_names_ |= bit;
    return NGHTTP2_NV_FLAG_NONE;
  }
  // A bit per field whose value never repeats, 0 for the others.
  static std::uint8_t unique_per_request(std::string_view name) {
    if (name == protocol::kRequestIdHeader) return 1;
    if (name == protocol::kDeliveryIdHeader) return 2;
    if (name == protocol::kReceivedAtHeader) return 4;
    return 0;
  }

  std::uint8_t* indexed_names_;

  // Stable addresses as it grows, and no allocation while empty (the usual case: a std::deque
  // allocates two blocks on construction, for every header block submitted).
  std::forward_list<std::string> storage_;
  std::vector<nghttp2_nv> nv_;
};

}  // namespace relay::net::detail

namespace relay::net {
// nghttp2's data source callback: frames what H2Stream::write() queued (a friend of H2Stream).
struct H2StreamAccess {
  static ssize_t read_data(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf,
                           std::size_t length, std::uint32_t* data_flags,
                           nghttp2_data_source* source, void* user_data);
  // NO_COPY DATA frames: the frame header and payload, appended to the session's write buffer.
  static int send_data(nghttp2_session* session, nghttp2_frame* frame, const std::uint8_t* framehd,
                       std::size_t length, nghttp2_data_source* source, void* user_data);
};
}  // namespace relay::net
