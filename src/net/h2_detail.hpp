#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace relay::net::detail {

// Header fields for nghttp2, with lower-cased names (HTTP/2 forbids upper case, and a peer's
// nghttp2 would reset the stream). Owns its strings: nghttp2 copies them on submit.
class NvList {
 public:
  void add(std::string_view name, std::string_view value) {
    auto& n = storage_.emplace_back(name);
    for (auto& c : n) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    auto& v = storage_.emplace_back(value);
    nv_.push_back({reinterpret_cast<std::uint8_t*>(n.data()), reinterpret_cast<std::uint8_t*>(v.data()),
                   n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  }
  nghttp2_nv* data() { return nv_.data(); }
  std::size_t size() const { return nv_.size(); }

 private:
  std::deque<std::string> storage_;  // deque: stable addresses as it grows
  std::vector<nghttp2_nv> nv_;
};

}  // namespace relay::net::detail

namespace relay::net {
// nghttp2's data source callback: frames what H2Stream::write() queued (a friend of H2Stream).
struct H2StreamAccess {
  static ssize_t read_data(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf,
                           std::size_t length, std::uint32_t* data_flags, nghttp2_data_source* source,
                           void* user_data);
};
}  // namespace relay::net
