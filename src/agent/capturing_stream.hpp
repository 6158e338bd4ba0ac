#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "agent/request_stream.hpp"
#include "relay/core/headers.hpp"
#include "relay/inspect/capture.hpp"

namespace relay::agent {

// The stream the pipeline's steps read and write: the request's RequestStream, wrapped so that
// the inspector's capture is made here, where the bytes pass, and nowhere else.
//
// Until CaptureStep calls record_into() (and always when the inspector is off) every call goes
// straight to the RequestStream: no copy, no extra coroutine frame. While recording, request
// body bytes read and response body bytes written are copied into the Capture up to its limit
// (never more, never buffered for it), and the response head is recorded when sent. Delivery is
// unchanged: the same bytes go the same way.
class CapturingStream {
 public:
  explicit CapturingStream(RequestStream stream) : stream_(std::move(stream)) {}
  // The RequestStream built in place from `args`: no temporary to move twice and destroy (per
  // request in serve_request, whose coroutine frame would also hold the temporary).
  template <class... Args>
  explicit CapturingStream(std::in_place_t /*unused*/, Args&&... args)
      : stream_(std::forward<Args>(args)...) {}

  // From now on, copy what passes into `capture` (request body, response head and body), each
  // body up to `limit` bytes. `capture` must outlive the recording (it lives in the Exchange).
  void record_into(inspect::Capture& capture, std::size_t limit) {
    capture_ = &capture;
    limit_ = limit;
  }
  // The capture is about to leave the exchange: copy nothing more.
  void stop_recording() {
    capture_ = nullptr;
    limit_ = 0;
  }

  [[nodiscard]] const core::Headers& headers() const { return stream_.headers(); }
  boost::asio::awaitable<core::error_code> read(std::string& out);
  // Without a coroutine when they need not wait (RequestStream::try_read/try_write): nullopt,
  // nothing done and nothing recorded, when they would.
  std::optional<core::error_code> try_read(std::string& out);
  [[nodiscard]] bool body_complete() const { return stream_.body_complete(); }
  [[nodiscard]] std::size_t buffered() const { return stream_.buffered(); }

  core::error_code respond(int status, core::Headers headers, bool end_stream,
                           net::FieldNames names = net::FieldNames::any_case);
  boost::asio::awaitable<core::error_code> write(std::string_view data, bool fin);
  std::optional<core::error_code> try_write(std::string_view data, bool fin);
  void reset(std::uint32_t h2_error_code = 0x8) { stream_.reset(h2_error_code); }

  [[nodiscard]] std::size_t send_pending() const { return stream_.send_pending(); }
  [[nodiscard]] bool closed() const { return stream_.closed(); }
  [[nodiscard]] bool is_replay() const { return stream_.is_replay(); }

 private:
  boost::asio::awaitable<core::error_code> read_recorded(std::string& out);

  RequestStream stream_;
  inspect::Capture* capture_ = nullptr;  // set while recording
  std::size_t limit_ = 0;
};

}  // namespace relay::agent
