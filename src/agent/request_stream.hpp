#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "relay/core/headers.hpp"
#include "relay/core/result.hpp"
#include "relay/net/h2_session.hpp"

namespace relay::agent {

// Where the pipeline reads a request and writes its response: an HTTP/2 stream from the edge,
// or a request the inspector replays (no edge involved; what the app answers is only captured).
// The members mirror net::H2Stream's server side, so the steps are written once for both.
// Only transport: the steps see it through CapturingStream, where the inspector's copy is made.
class RequestStream {
 public:
  explicit RequestStream(std::shared_ptr<net::H2Stream> h2) : h2_(std::move(h2)) {}
  // A replay: `headers` include the pseudo-headers (":method", ":path", ":authority", ":scheme").
  RequestStream(core::Headers headers, std::string body)
      : headers_(std::move(headers)), body_(std::move(body)), body_read_(body_.empty()) {}

  [[nodiscard]] const core::Headers& headers() const { return h2_ ? h2_->headers() : headers_; }

  boost::asio::awaitable<core::error_code> read(std::string& out);
  // read() without a coroutine when it need not wait (net::H2Stream::try_read): nullopt when it
  // would. A replay's body is always at hand.
  std::optional<core::error_code> try_read(std::string& out);
  [[nodiscard]] bool body_complete() const { return h2_ ? h2_->body_complete() : body_read_; }
  [[nodiscard]] std::size_t buffered() const {
    return h2_ ? h2_->buffered() : (body_read_ ? 0 : body_.size());
  }

  core::error_code respond(int status, core::Headers headers, bool end_stream,
                           net::FieldNames names = net::FieldNames::any_case);
  boost::asio::awaitable<core::error_code> write(std::string_view data, bool fin);
  // write() without a coroutine when it need not wait: nullopt, and nothing done, when it would.
  std::optional<core::error_code> try_write(std::string_view data, bool fin);
  void reset(std::uint32_t h2_error_code = 0x8);

  [[nodiscard]] std::size_t send_pending() const { return h2_ ? h2_->send_pending() : 0; }
  [[nodiscard]] bool closed() const { return h2_ ? h2_->closed() : reset_; }
  [[nodiscard]] bool is_replay() const { return h2_ == nullptr; }

 private:
  boost::asio::awaitable<core::error_code> read_replay(std::string& out);
  boost::asio::awaitable<core::error_code> write_replay();

  std::shared_ptr<net::H2Stream> h2_;
  core::Headers headers_;  // replay only
  std::string body_;       // replay only
  bool body_read_ = true;
  bool reset_ = false;
};

}  // namespace relay::agent
