#include "agent/capturing_stream.hpp"

#include <utility>

namespace relay::agent {

namespace asio = boost::asio;

// Not a coroutine when not recording: the caller awaits the stream's own read directly.
asio::awaitable<core::error_code> CapturingStream::read(std::string& out) {
  if (capture_ == nullptr) return stream_.read(out);
  return read_recorded(out);
}

asio::awaitable<core::error_code> CapturingStream::read_recorded(std::string& out) {
  auto ec = co_await stream_.read(out);
  if (!ec && capture_ != nullptr) capture_->request_body.append(out, limit_);
  co_return ec;
}

std::optional<core::error_code> CapturingStream::try_read(std::string& out) {
  auto done = stream_.try_read(out);
  if (done && !*done && capture_ != nullptr) capture_->request_body.append(out, limit_);
  return done;
}

core::error_code CapturingStream::respond(int status, core::Headers headers, bool end_stream,
                                          net::FieldNames names) {
  if (capture_ != nullptr) {
    capture_->status = status;
    capture_->response_headers = headers;
  }
  return stream_.respond(status, std::move(headers), end_stream, names);
}

asio::awaitable<core::error_code> CapturingStream::write(std::string_view data, bool fin) {
  if (capture_ != nullptr) capture_->response_body.append(data, limit_);
  return stream_.write(data, fin);
}

std::optional<core::error_code> CapturingStream::try_write(std::string_view data, bool fin) {
  auto done = stream_.try_write(data, fin);
  if (done && capture_ != nullptr) capture_->response_body.append(data, limit_);  // as write()
  return done;
}

}  // namespace relay::agent
