#include "agent/request_stream.hpp"

#include <utility>

namespace relay::agent {

namespace asio = boost::asio;

// Not a coroutine for an HTTP/2 stream: the caller awaits the stream's own read directly.
asio::awaitable<core::error_code> RequestStream::read(std::string& out) {
  if (!h2_) return read_replay(out);
  return h2_->read(out);
}

asio::awaitable<core::error_code> RequestStream::read_replay(std::string& out) {
  co_return *try_read(out);
}

std::optional<core::error_code> RequestStream::try_read(std::string& out) {
  if (h2_) return h2_->try_read(out);
  out.clear();
  if (!body_read_) {
    out = std::move(body_);
    body_read_ = true;
  }
  return core::error_code{};
}

core::error_code RequestStream::respond(int status, core::Headers headers, bool end_stream,
                                        net::FieldNames names) {
  if (h2_) return h2_->respond(status, std::move(headers), end_stream, names);
  return {};
}

asio::awaitable<core::error_code> RequestStream::write(std::string_view data, bool fin) {
  if (h2_) return h2_->write(data, fin);
  return write_replay();
}

asio::awaitable<core::error_code> RequestStream::write_replay() { co_return core::error_code{}; }

std::optional<core::error_code> RequestStream::try_write(std::string_view data, bool fin) {
  if (h2_) return h2_->try_write(data, fin);
  return core::error_code{};  // a replay's response is only captured
}

void RequestStream::reset(std::uint32_t h2_error_code) {
  if (h2_) {
    h2_->reset(h2_error_code);
  } else {
    reset_ = true;
  }
}

}  // namespace relay::agent
