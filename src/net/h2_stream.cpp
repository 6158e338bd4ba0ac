#include <nghttp2/nghttp2.h>

#include <cstring>
#include <utility>

#include "h2_detail.hpp"
#include "relay/net/error.hpp"
#include "relay/net/h2_session.hpp"

namespace relay::net {

namespace asio = boost::asio;
using core::error_code;

H2Stream::H2Stream(std::weak_ptr<H2Session> session, const asio::any_io_executor& ex)
    : session_(std::move(session)), recv_event_(ex), send_event_(ex) {}

H2Stream::~H2Stream() { give_back_window(); }

void H2Stream::give_back_window() {
  const std::size_t held = recv_buf_.size() + std::exchange(handed_out_, 0);
  recv_buf_.clear();
  if (held == 0) return;
  if (auto s = session_.lock(); s && s->session_) {
    nghttp2_session_consume_connection(s->session_, held);
    s->wake_writer();
  }
}

void H2Stream::release_read() {
  if (handed_out_ == 0) return;
  if (auto s = session_.lock(); s && s->session_) {
    // Only now may the peer send more: this is the backpressure of the whole tunnel.
    nghttp2_session_consume(s->session_, id_, handed_out_);
    s->wake_writer();
  }
  handed_out_ = 0;
}

void H2Stream::reuse() {
  // A spare keeps its buffers only while they are small: a large upload's 1 MiB would stay
  // with an idle session for nothing.
  constexpr std::size_t kKeptBufferBytes = 16u * 1024;
  auto empty_small = [](std::string& buf) {
    if (buf.capacity() > kKeptBufferBytes) {
      std::string().swap(buf);
    } else {
      buf.clear();
    }
  };
  give_back_window();
  id_ = -1;
  headers_.clear();
  sent_headers_.clear();
  responded_ = false;
  status_ = 0;
  headers_complete_ = false;
  remote_closed_ = false;
  local_fin_ = false;
  data_deferred_ = false;
  closed_ = false;
  lent_ = false;
  close_reason_ = {};
  empty_small(recv_buf_);
  send_view_ = {};
  empty_small(send_buf_);
  send_offset_ = 0;
  send_limit_ = kDefaultSendLimit;
  recv_event_.clear();
  send_event_.clear();
}

asio::awaitable<error_code> H2Stream::wait_headers() {
  while (!headers_complete_) {
    if (closed_) co_return close_reason_ ? close_reason_ : make_error_code(Errc::stream_reset);
    co_await recv_event_.wait();
  }
  co_return error_code{};
}

asio::awaitable<error_code> H2Stream::read(std::string& out) {
  for (;;) {
    if (auto done = try_read(out)) co_return *done;
    co_await recv_event_.wait();
  }
}

std::optional<error_code> H2Stream::try_read(std::string& out) {
  // Not when the chunk is handed over: the peer could then send a second window while the
  // reader still writes the first on, two windows per stream instead of one.
  release_read();
  out.clear();
  if (!recv_buf_.empty()) {
    std::swap(out, recv_buf_);
    recv_buf_.clear();
    handed_out_ = out.size();
    return error_code{};
  }
  if (remote_closed_) return error_code{};
  if (closed_) return close_reason_ ? close_reason_ : make_error_code(Errc::stream_reset);
  return std::nullopt;
}

error_code H2Stream::respond(int status, core::Headers headers, bool end_stream, FieldNames names) {
  auto s = session_.lock();
  if (closed_ || !s || !s->session_)
    return close_reason_ ? close_reason_ : make_error_code(Errc::session_closed);
  detail::NvList nv(&s->hpack_indexed_names_);
  nv.reserve(headers.size() + 1);
  // Lent to nghttp2 (NO_COPY), as open_stream() lends a request: it copied and lower-cased
  // every field of every response (~1k instructions a response). The stream keeps them until the
  // frame is packed. A second call (nghttp2 sends it as trailers, or refuses it) gets copied:
  // the first one's fields may not have been packed yet.
  if (!responded_ && status >= 100 && status <= 999) {
    responded_ = true;
    status_text_ = {static_cast<char>('0' + status / 100),
                    static_cast<char>('0' + status / 10 % 10),
                    static_cast<char>('0' + status % 10)};
    sent_headers_ = names == FieldNames::lower_case ? std::move(headers)
                                                    : detail::lower_case_names(std::move(headers));
    nv.add_borrowed(":status", {status_text_.data(), status_text_.size()});
    for (const auto& f : sent_headers_) nv.add_borrowed(f.name, f.value);
  } else {
    const std::string status_text = std::to_string(status);
    nv.add(":status", status_text);
    for (const auto& f : headers) nv.add(f.name, f.value);
  }
  nghttp2_data_provider provider{};
  provider.source.ptr = this;
  provider.read_callback = &H2StreamAccess::read_data;
  local_fin_ = end_stream;
  int rv = nghttp2_submit_response(s->session_, id_, nv.data(), nv.size(),
                                   end_stream ? nullptr : &provider);
  if (rv != 0) return make_error_code(Errc::protocol_error);
  s->wake_writer();
  return {};
}

std::optional<error_code> H2Stream::try_write(std::string_view data, bool fin) {
  if (closed_) return close_reason_ ? close_reason_ : make_error_code(Errc::stream_reset);
  auto s = session_.lock();
  if (!s || !s->session_) return make_error_code(Errc::session_closed);
  if (local_fin_) return make_error_code(Errc::protocol_error);  // body already ended
  if (borrows(data, fin) || send_pending() + data.size() >= send_limit_) return std::nullopt;
  enqueue(*s, data, fin, false);
  return error_code{};
}

asio::awaitable<error_code> H2Stream::write(std::string_view data, bool fin) {
  if (auto done = try_write(data, fin)) co_return *done;
  // Nothing queued: the bytes are framed straight from the caller's buffer, which it keeps
  // while it waits here (one copy less per body byte). Otherwise they join the queue. So does
  // a small last write (a webhook's whole body, most often): copying a few KiB costs less than
  // waiting for the write loop (a timer, a wake-up, a resume), and nothing follows it that
  // could pile up behind it in the queue.
  const bool borrowed = borrows(data, fin);
  enqueue(*session_.lock(), data, fin, borrowed);  // alive: try_write just checked
  if (borrowed) {
    // Framed is not enough: bytes the session borrowed are read until its TLS write is done.
    while ((!send_view_.empty() && !closed_) || lent_) co_await send_event_.wait();
    if (!send_view_.empty()) {
      send_view_ = {};  // the caller's buffer is not ours past this return
      co_return close_reason_ ? close_reason_ : make_error_code(Errc::stream_reset);
    }
    co_return error_code{};
  }
  while (!has_send_space() && !closed_) co_await send_event_.wait();
  if (closed_ && send_pending() > 0) {
    co_return close_reason_ ? close_reason_ : make_error_code(Errc::stream_reset);
  }
  co_return error_code{};
}

void H2Stream::enqueue(H2Session& session, std::string_view data, bool fin, bool borrowed) {
  if (borrowed) {
    send_view_ = data;
  } else {
    if (send_offset_ > 0 && send_offset_ == send_buf_.size()) {
      send_buf_.clear();
      send_offset_ = 0;
    }
    send_buf_.append(data);
  }
  local_fin_ = fin;
  if (data_deferred_) {
    data_deferred_ = false;
    nghttp2_session_resume_data(session.session_, id_);
  }
  session.wake_writer();
}

void H2Stream::reset(std::uint32_t h2_error_code) {
  if (closed_) return;
  auto s = session_.lock();
  if (!s || !s->session_) return;
  nghttp2_submit_rst_stream(s->session_, NGHTTP2_FLAG_NONE, id_, h2_error_code);
  s->wake_writer();
}

void H2Stream::on_closed(error_code reason) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = reason;
  recv_event_.notify();
  send_event_.notify();
}

bool H2Stream::has_send_space() const { return send_pending() < send_limit_; }

std::size_t H2Stream::frame_length(std::size_t length, bool& eof) {
  std::size_t avail = send_pending();
  if (avail == 0 && !local_fin_) {
    data_deferred_ = true;
    return kDeferred;
  }
  std::size_t n = std::min(avail, length);
  eof = local_fin_ && n == avail;
  return n;
}

void H2Stream::take_frame(H2Session& session, std::size_t n) {
  auto& out = session.out_;
  if (!send_view_.empty()) {  // queued before anything in send_buf_
    auto k = std::min(n, send_view_.size());
    session.borrow(*this, send_view_.substr(0, k));  // copies what is less than a record
    send_view_.remove_prefix(k);
    n -= k;
    if (send_view_.empty() && !lent_) send_event_.notify();
    if (n == 0) return;
  }
  out.append(send_buf_, send_offset_, n);
  send_offset_ += n;
  if (send_offset_ == send_buf_.size()) {
    send_buf_.clear();
    send_offset_ = 0;
  } else if (send_offset_ > (64u << 10) && send_offset_ * 2 > send_buf_.size()) {
    send_buf_.erase(0, send_offset_);  // keep the queue from growing at the front
    send_offset_ = 0;
  }
  if (has_send_space()) send_event_.notify();
}

// NO_COPY: nghttp2 only frames the length; send_data() below copies the bytes once, straight
// from the stream's queue into the session's write buffer (no detour through nghttp2's own).
ssize_t H2StreamAccess::read_data(nghttp2_session*, std::int32_t, std::uint8_t*, std::size_t length,
                                  std::uint32_t* data_flags, nghttp2_data_source* source,
                                  void* user_data) {
  auto& session = *static_cast<H2Session*>(user_data);
  auto* stream = static_cast<H2Stream*>(source->ptr);
  if (session.framed_bytes() >= detail::kWriteCoalesce) {
    // The write buffer is full: park the stream; the write loop resumes it once that buffer
    // is on the wire. This bounds the buffer without nghttp2 holding a half-sent frame.
    stream->data_deferred_ = true;
    session.parked_.push_back(stream->id_);
    return NGHTTP2_ERR_DEFERRED;
  }
  bool eof = false;
  auto n = stream->frame_length(length, eof);
  if (n == H2Stream::kDeferred) return NGHTTP2_ERR_DEFERRED;
  *data_flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (eof) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

int H2StreamAccess::send_data(nghttp2_session*, nghttp2_frame* frame, const std::uint8_t* framehd,
                              std::size_t length, nghttp2_data_source* source, void* user_data) {
  auto& session = *static_cast<H2Session*>(user_data);
  session.out_.append(reinterpret_cast<const char*>(framehd), 9);
  // Padding is never requested (no select_padding callback), so the payload is the data alone.
  (void)frame;
  static_cast<H2Stream*>(source->ptr)->take_frame(session, length);
  return 0;
}

}  // namespace relay::net
