#include "agent/request_stream.hpp"

namespace relay::agent {

namespace asio = boost::asio;

// Not a coroutine on the untapped path: the caller awaits the H2 stream's own read directly.
asio::awaitable<core::error_code> RequestStream::read(std::string& out) {
  if (!h2_) return read_replay(out);
  if (capture_ == nullptr) return h2_->read(out);
  return read_tapped(out);
}

asio::awaitable<core::error_code> RequestStream::read_tapped(std::string& out) {
  auto ec = co_await h2_->read(out);
  if (!ec && capture_ != nullptr) capture_->request_body.append(out, limit_);
  co_return ec;
}

asio::awaitable<core::error_code> RequestStream::read_replay(std::string& out) {
  out.clear();
  if (!body_read_) {
    out = std::move(body_);
    body_read_ = true;
    if (capture_ != nullptr) capture_->request_body.append(out, limit_);
  }
  co_return core::error_code{};
}

core::error_code RequestStream::respond(int status, const core::Headers& headers, bool end_stream) {
  if (capture_ != nullptr) {
    capture_->status = status;
    capture_->response_headers = headers;
  }
  if (h2_) return h2_->respond(status, headers, end_stream);
  return {};
}

asio::awaitable<core::error_code> RequestStream::write(std::string_view data, bool fin) {
  if (capture_ != nullptr) capture_->response_body.append(data, limit_);
  if (h2_) return h2_->write(data, fin);
  return write_replay();
}

asio::awaitable<core::error_code> RequestStream::write_replay() { co_return core::error_code{}; }

void RequestStream::reset(std::uint32_t h2_error_code) {
  if (h2_) {
    h2_->reset(h2_error_code);
  } else {
    reset_ = true;
  }
}

}  // namespace relay::agent
