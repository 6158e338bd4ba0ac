#include "relay/net/h2_session.hpp"

#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "h2_allocator.hpp"
#include "h2_detail.hpp"
#include "relay/core/log.hpp"
#include "relay/net/error.hpp"

namespace relay::net {

namespace asio = boost::asio;
using core::error_code;

namespace {
constexpr std::size_t kReadChunk = 64u * 1024;
// What an idle session reads with (PINGs, control lines): see H2Session::note_read().
constexpr std::size_t kIdleReadChunk = 4u * 1024;
// Reads in a row with no request in flight before the session counts as idle.
constexpr int kIdleReads = 2;
// DATA frames up to this size (when the peer allows it): a 1 MiB upload is 16 frames, not 64,
// so 4x fewer frame headers, callbacks and wake-ups on both sides.
constexpr std::uint32_t kMaxFrameSize = 64u * 1024;
// Header fields a request or response usually has, pseudo-headers and relay's own included.
constexpr std::size_t kExpectedFields = 16;
// Finished streams a session keeps for its next requests (see H2Session::new_stream()): about
// the requests in flight at once on a busy tunnel; an idle session drops them (note_read()).
constexpr std::size_t kMaxSpareStreams = 32;
// A GOAWAY's debug data is the peer's free text: logged only this much, printable only.
constexpr std::size_t kMaxGoawayDebug = 256;

// Appends to a stream's receive buffer, growing it so that the allocation (the string's
// terminator included) is a power of two. Grown to whatever DATA had arrived, each buffer had a
// size of its own, and the allocator kept a page per size class: four 1 MiB uploads left ~2 MiB
// in pages of a dozen classes with no block in use. A few classes are reused by every stream.
void append_in_size_classes(std::string& buf, const char* data, std::size_t len) {
  const std::size_t size = buf.size() + len;
  if (size > buf.capacity()) buf.reserve(std::bit_ceil(size + 1) - 1);
  buf.append(data, len);
}

std::string printable(const std::uint8_t* data, std::size_t len) {
  std::string out;
  for (std::size_t i = 0; i < std::min(len, kMaxGoawayDebug); ++i) {
    auto c = static_cast<char>(data[i]);
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return out;
}

}  // namespace

namespace detail {
core::Headers lower_case_names(core::Headers headers) {
  if (std::ranges::none_of(headers, [](const auto& f) { return detail::has_ascii_upper(f.name); }))
    return headers;
  core::Headers lowered;
  lowered.reserve(headers.size());
  for (const auto& f : headers) {
    std::string name(f.name);
    for (auto& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    lowered.add(std::move(name), f.value);
  }
  return lowered;
}
}  // namespace detail

namespace {

H2Goaway goaway_of(const nghttp2_frame& frame, bool sent) {
  return {sent, frame.goaway.error_code, frame.goaway.last_stream_id,
          printable(frame.goaway.opaque_data, frame.goaway.opaque_data_len)};
}
}  // namespace

bool H2Session::holds_stream_state(std::int32_t id) const {
  return session_ != nullptr && nghttp2_session_find_stream(session_, id) != nullptr;
}

std::string H2Goaway::error_name() const { return nghttp2_http2_strerror(error_code); }

// nghttp2 callbacks: they only record state and wake the coroutine that waits for it.
struct H2Session::Callbacks {
  static H2Session& self(void* user) { return *static_cast<H2Session*>(user); }

  // The stream a header block is for is found here, once per block, not for each of its fields
  // in on_header (a block's frames are contiguous: RFC 9113 §6.10).
  static int on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto& s = self(user);
    s.receiving_headers_ = nullptr;
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      s.receiving_headers_ = s.find(frame->hd.stream_id);  // a response, or trailers
      return 0;
    }
    if (s.role_ != Role::server) return 0;
    auto stream = s.new_stream();
    stream->id_ = frame->hd.stream_id;
    s.receiving_headers_ = stream.get();
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, stream.get());
    s.streams_.emplace(stream->id_, std::move(stream));
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t, void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    H2Stream* stream = self(user).receiving_headers_;
    if (stream == nullptr || stream->id_ != frame->hd.stream_id) return 0;
    if (stream->headers_complete_) return 0;  // trailers are dropped
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") std::from_chars(v.data(), v.data() + v.size(), stream->status_);
    stream->headers_.add(n, v);
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& s = self(user);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      s.note_goaway(goaway_of(*frame, false));
      return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    auto it = s.streams_.find(frame->hd.stream_id);
    if (it == s.streams_.end()) return 0;
    auto stream = it->second;
    if (frame->hd.type == NGHTTP2_HEADERS && !stream->headers_complete_) {
      if (s.role_ == Role::client && stream->status_ >= 100 && stream->status_ < 200) {
        stream->headers_.clear();  // an interim response: the final one follows
        stream->status_ = 0;
      } else {
        stream->headers_complete_ = true;
        stream->recv_event_.notify();
        if (s.role_ == Role::server) s.accepted_.push_back(stream);
      }
    }
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
      stream->remote_closed_ = true;
      stream->recv_event_.notify();
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t stream_id,
                           const std::uint8_t* data, std::size_t len, void* user) {
    H2Stream* stream = self(user).find(stream_id);
    if (stream == nullptr) {
      nghttp2_session_consume_connection(session, len);  // nobody will read it
      return 0;
    }
    append_in_size_classes(stream->recv_buf_, reinterpret_cast<const char*>(data), len);
    stream->recv_event_.notify();
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                             void* user) {
    auto& s = self(user);
    auto it = s.streams_.find(stream_id);
    if (it == s.streams_.end()) return 0;
    auto stream = std::move(it->second);
    s.streams_.erase(it);
    if (s.receiving_headers_ == stream.get()) s.receiving_headers_ = nullptr;
    error_code_t reason;
    if (error_code != NGHTTP2_NO_ERROR) {
      reason = make_error_code(error_code == NGHTTP2_REFUSED_STREAM ? Errc::refused
                                                                    : Errc::stream_reset);
    } else if (!stream->remote_closed_) {
      reason = make_error_code(Errc::stream_reset);
    }
    stream->on_closed(reason);
    return 0;
  }

  // nghttp2 sends GOAWAY on its own when the peer trips one of its limits (the rapid-reset
  // limiter above all) or breaks the protocol. Without acting on it the session lives on,
  // answering PINGs, while every new stream is refused: a tunnel broken for good.
  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& s = self(user);
    if (frame->hd.type == NGHTTP2_GOAWAY && !s.local_goaway_)
      s.note_goaway(goaway_of(*frame, true));
    return 0;
  }

  // nghttp2 frames DATA at 16 KiB unless told otherwise, whatever the peer's MAX_FRAME_SIZE.
  static ssize_t read_length(nghttp2_session*, std::uint8_t, std::int32_t,
                             std::int32_t session_window, std::int32_t stream_window,
                             std::uint32_t remote_max_frame_size, void*) {
    auto window = std::min(session_window, stream_window);
    auto cap = std::min<std::int64_t>(remote_max_frame_size, kMaxFrameSize);
    return static_cast<ssize_t>(std::max<std::int64_t>(1, std::min<std::int64_t>(window, cap)));
  }

  using error_code_t = core::error_code;
};

H2Session::H2Session(TlsStream stream, Role role, H2Options options, std::string already_read)
    : executor_(stream.get_executor()),
      allocator_(std::make_unique<detail::H2Allocator>()),
      stream_(std::move(stream)),
      role_(role),
      options_(options),
      already_read_(std::move(already_read)),
      write_event_(executor_),
      last_frame_(std::chrono::steady_clock::now()),
      drain_timer_(executor_) {
  // Asio's SSL engine sets RELEASE_BUFFERS: OpenSSL then frees its 16 KiB record buffers
  // whenever they drain and allocates them again for the next record, two 16 KiB malloc/free
  // pairs per tunnel read and write (and each large malloc consolidates the heap's fastbins).
  // A busy tunnel keeps its 34 KiB; an idle one gives them back (note_read()).
  SSL_clear_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Callbacks::on_frame_send);
  nghttp2_session_callbacks_set_send_data_callback(callbacks, &H2StreamAccess::send_data);
  nghttp2_session_callbacks_set_data_source_read_length_callback(callbacks,
                                                                 &Callbacks::read_length);

  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  // We send WINDOW_UPDATE only when the application has read the data: flow control then
  // reaches from the public client to the local app, and memory stays bounded.
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_max_send_header_block_length(opt, 1u << 20);
  nghttp2_option_set_peer_max_concurrent_streams(opt, options_.max_concurrent_streams);
  // A server keeps closed streams (up to max_concurrent_streams of them) for RFC 7540's
  // priority tree, which relay does not use: each was a block of nghttp2's, and inserting and
  // pruning them cost instructions on every request.
  nghttp2_option_set_no_closed_streams(opt, 1);
  // Server role only (nghttp2 ignores it for a client); see H2Options::reset_burst.
  nghttp2_option_set_stream_reset_rate_limit(opt, options_.reset_burst, options_.reset_rate);

  if (role_ == Role::client) {
    nghttp2_session_client_new3(&session_, callbacks, this, opt, allocator_->mem());
  } else {
    nghttp2_session_server_new3(&session_, callbacks, this, opt, allocator_->mem());
  }
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(callbacks);

  std::array<nghttp2_settings_entry, 4> settings{{
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, options_.max_header_list_bytes},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, kMaxFrameSize},
  }};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<std::int32_t>(options_.connection_window));
}

H2Session::~H2Session() {
  // Streams may outlive us; they see the session gone through their weak_ptr.
  for (auto& [id, stream] : streams_) stream->on_closed(make_error_code(Errc::session_closed));
  streams_.clear();
  nghttp2_session_del(session_);
  session_ = nullptr;
}

void H2Session::note_goaway(H2Goaway goaway) {
  if (goaway_) return;  // the first one says why; a peer may send a second, final one
  going_away_ = true;   // no new streams: open_stream() refuses at once
  const bool graceful = goaway.error_code == NGHTTP2_NO_ERROR && !goaway.sent;
  // A peer's NO_ERROR GOAWAY is an orderly shutdown (an edge restarting): not a warning.
  core::log_event(*core::logger("relay.h2"), graceful ? spdlog::level::info : spdlog::level::warn,
                  goaway.sent ? "HTTP/2 GOAWAY sent; ending the session"
                              : "HTTP/2 GOAWAY received; ending the session",
                  {{"role", role_ == Role::client ? "client" : "server"},
                   {"error", goaway.error_name()},
                   {"last_stream", goaway.last_stream_id},
                   {"debug", goaway.debug_data}});
  goaway_ = std::move(goaway);
  // Streams in flight may finish, but not forever: a stuck one must not keep a dead session.
  drain_timer_.expires_after(options_.goaway_drain);
  drain_timer_.async_wait([weak = weak_from_this()](const core::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->close();
  });
}

void H2Session::report_goaway() {
  if (!goaway_ || goaway_reported_) return;
  goaway_reported_ = true;
  if (goaway_handler_) goaway_handler_(*goaway_);
}

void H2Session::hand_out_accepted() {
  for (auto& stream : std::exchange(accepted_, {})) {
    if (handler_) handler_(std::move(stream));
  }
}

std::shared_ptr<H2Stream> H2Session::new_stream() {
  std::unique_ptr<H2Stream> stream;
  if (spare_streams_.empty()) {
    stream = std::make_unique<H2Stream>(weak_from_this(), executor_);
    stream->headers_.reserve(kExpectedFields);  // no regrowth (and string moves) per field
  } else {
    stream = std::move(spare_streams_.back());
    spare_streams_.pop_back();
  }
  stream->send_limit_ = options_.stream_send_buffer;
  return {stream.release(), StreamRecycler{}};
}

// Runs where the last owner lets go of the stream: on the session's executor, like every
// other use of a stream (the session's streams_ holds it until nghttp2 has closed it).
void H2Session::StreamRecycler::operator()(H2Stream* stream) const {
  std::unique_ptr<H2Stream> owned(stream);
  auto session = stream->session_.lock();
  if (session && session->open_ && session->spare_streams_.size() < kMaxSpareStreams) {
    owned->reuse();
    session->spare_streams_.push_back(std::move(owned));
  }
}

// TLS cuts each buffer of a gathered write into records of its own, so a borrowed piece must
// start and end on a record boundary: a frame header alone in a 9-byte record cost the reader
// more than the copy it saved (OpenSSL's read-ahead moves every byte still buffered to the
// front of its buffer at each record). So out_ is filled up to a boundary with the first
// bytes, whole records of the rest are borrowed, and what is left over is copied after them.
void H2Session::borrow(H2Stream& stream, std::string_view bytes) {
  constexpr std::size_t kRecord = TlsStream::kMaxRecord;
  const std::size_t fill = (kRecord - out_.size() % kRecord) % kRecord;
  const std::size_t whole = bytes.size() > fill ? (bytes.size() - fill) / kRecord * kRecord : 0;
  if (whole == 0) {  // less than a record to borrow
    out_.append(bytes);
    return;
  }
  auto it = stream.lent_ ? streams_.end() : streams_.find(stream.id_);
  if (!stream.lent_ && it == streams_.end()) {  // not in flight: nothing would keep it alive
    out_.append(bytes);
    return;
  }
  if (!stream.lent_) {
    stream.lent_ = true;
    lenders_.push_back(it->second);
  }
  out_.append(bytes.substr(0, fill));
  borrowed_.push_back({out_.size(), bytes.substr(fill, whole)});
  borrowed_bytes_ += whole;
  out_.append(bytes.substr(fill + whole));
}

void H2Session::release_lenders() {
  borrowed_.clear();
  borrowed_bytes_ = 0;
  for (auto& stream : std::exchange(lenders_, {})) {
    stream->lent_ = false;
    stream->send_event_.notify();
  }
}

H2Stream* H2Session::find(std::int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

asio::awaitable<error_code> H2Session::run() {
  using namespace asio::experimental::awaitable_operators;
  auto self = shared_from_this();
  error_code result;
  if (!already_read_.empty()) {
    auto rv = nghttp2_session_mem_recv(session_,
                                       reinterpret_cast<const std::uint8_t*>(already_read_.data()),
                                       already_read_.size());
    already_read_.clear();
    if (rv < 0) result = make_error_code(Errc::protocol_error);
    hand_out_accepted();
    report_goaway();
  }
  if (!result) {
    auto outcome = co_await (read_loop() || write_loop() || ping_loop());
    result = std::visit([](error_code ec) { return ec; }, outcome);
  }
  open_ = false;
  drain_timer_.cancel();
  release_lenders();  // the write loop has ended: no write reads their buffers any more
  // A GOAWAY with an error code is why the session ended, whatever the transport said after it
  // (a clean end, or the close at the drain deadline).
  if (goaway_ && goaway_->error_code != NGHTTP2_NO_ERROR) {
    result = make_error_code(Errc::goaway);
  }
  fatal_ = result;
  fail_all(result ? result : make_error_code(Errc::session_closed));
  error_code ignored;
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
  co_return result;
}

asio::awaitable<error_code> H2Session::read_loop() {
  read_buf_size_ = kIdleReadChunk;
  read_buf_ = std::make_unique_for_overwrite<std::uint8_t[]>(read_buf_size_);
  for (;;) {
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(read_buf_.get(), read_buf_size_),
                                                    asio::as_tuple(asio::use_awaitable));
    if (ec) {
      // A peer that closes after GOAWAY with nothing in flight ended the session cleanly.
      bool clean = going_away_ && streams_.empty();
      co_return clean ? error_code{} : ec;
    }
    last_frame_ = std::chrono::steady_clock::now();
    auto rv = nghttp2_session_mem_recv(session_, read_buf_.get(), n);
    if (rv < 0) co_return make_error_code(Errc::protocol_error);
    hand_out_accepted();
    report_goaway();
    wake_writer();
    if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
      co_return error_code{};
    }
    note_read(n);
  }
}

// An edge holds thousands of agent sessions that are idle most of the time (a PING each way
// every 10 s): each would keep a 64 KiB read buffer and OpenSSL's two 17 KiB record buffers
// for nothing (bench/idle_sessions.py). So a session reads with a small buffer until a read
// fills it, then with kReadChunk; after kIdleReads reads in a row with no request in flight it
// goes back to the small one and lets OpenSSL free its record buffers whenever they drain.
// nghttp2 has consumed the bytes by now: the buffer may be replaced.
void H2Session::note_read(std::size_t n) {
  if (!idle()) {
    idle_reads_ = 0;
    set_tls_buffers_kept(true);
  } else if (idle_reads_ <= kIdleReads) {
    ++idle_reads_;
    // One read after the switch OpenSSL has freed its buffers: tell the owner, once, so it can
    // give the pages back to the system (a heap keeps freed blocks among live ones).
    if (idle_reads_ == kIdleReads + 1 && idle_handler_) idle_handler_();
  }
  if (n == read_buf_size_ && read_buf_size_ < kReadChunk) {
    idle_reads_ = 0;
    read_buf_size_ = kReadChunk;
    read_buf_ = std::make_unique_for_overwrite<std::uint8_t[]>(read_buf_size_);
    set_tls_buffers_kept(true);
  } else if (idle_reads_ >= kIdleReads) {
    std::vector<std::unique_ptr<H2Stream>>().swap(spare_streams_);
    allocator_->release();
    if (read_buf_size_ > kIdleReadChunk) {
      read_buf_size_ = kIdleReadChunk;
      read_buf_ = std::make_unique_for_overwrite<std::uint8_t[]>(read_buf_size_);
    }
    set_tls_buffers_kept(false);
  }
}

// SSL_MODE_RELEASE_BUFFERS: see the constructor. OpenSSL looks at the mode each time a buffer
// drains, so switching it at any point is safe.
void H2Session::set_tls_buffers_kept(bool kept) {
  if (kept == tls_buffers_kept_) return;
  tls_buffers_kept_ = kept;
  if (kept) {
    SSL_clear_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  } else {
    SSL_set_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  }
}

asio::awaitable<error_code> H2Session::write_loop() {
  auto& out = out_;  // DATA payloads are appended by H2StreamAccess::send_data during mem_send
  for (;;) {
    out.clear();
    // A busy session writes up to kWriteCoalesce and a frame at once; an idle one only PINGs
    // and control lines, and keeps no 128 KiB for them (see note_read()).
    if (!idle()) {
      out.reserve(detail::kWriteCoalesce + kMaxFrameSize + 64);
      set_tls_buffers_kept(true);
    } else if (idle_reads_ >= kIdleReads && out.capacity() > kIdleReadChunk) {
      std::string().swap(out);
    }
    for (;;) {
      const std::uint8_t* data = nullptr;
      auto n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) co_return make_error_code(Errc::protocol_error);
      if (n == 0) break;  // nothing left, or send_data() found the buffer full
      out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
      if (framed_bytes() >= detail::kWriteCoalesce) break;
    }
    report_goaway();  // nghttp2 may have framed a GOAWAY of its own just now
    if (framed_bytes() > 0) {
      gather_.clear();
      std::size_t from = 0;
      for (const auto& b : borrowed_) {
        if (b.at > from) gather_.emplace_back(out.data() + from, b.at - from);
        gather_.emplace_back(b.bytes.data(), b.bytes.size());
        from = b.at;
      }
      if (out.size() > from) gather_.emplace_back(out.data() + from, out.size() - from);
      auto [ec, written] =
          co_await asio::async_write(stream_, gather_, asio::as_tuple(asio::use_awaitable));
      release_lenders();
      if (ec) co_return ec;
      for (auto id : std::exchange(parked_, {})) {
        H2Stream* stream = find(id);
        if (stream != nullptr && stream->data_deferred_ && !stream->closed_) {
          stream->data_deferred_ = false;
          nghttp2_session_resume_data(session_, id);
        }
      }
      // Under load the write completes at once, and the handlers that ran meanwhile have
      // frames half made: one turn of the event loop lets them finish, and the next write
      // carries them all (half the tunnel writes at 64 connections). With a single request in
      // flight (besides the control stream) nobody is coming, and the turn is pure latency.
      if (streams_.size() > 2) co_await asio::post(executor_, asio::use_awaitable);
      continue;
    }
    if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
      co_return error_code{};  // GOAWAY exchanged and nothing in flight
    }
    co_await write_event_.wait();
    // Let the handlers already queued add their frames first: an app's response HEADERS and
    // its first DATA (or many streams' frames under load) then share one TLS write.
    co_await asio::post(executor_, asio::use_awaitable);
  }
}

asio::awaitable<error_code> H2Session::ping_loop() {
  asio::steady_timer timer(executor_);
  // Dead after max_missed_pings intervals without a single frame (our PINGs are answered at
  // once by a live peer, so silence means the path or the peer is gone).
  auto limit = options_.ping_interval * options_.max_missed_pings + options_.ping_interval / 2;
  for (;;) {
    timer.expires_after(options_.ping_interval);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return error_code{};
    if (std::chrono::steady_clock::now() - last_frame_ > limit)
      co_return make_error_code(Errc::ping_timeout);
    nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
    wake_writer();
  }
}

std::uint32_t H2Session::peer_max_concurrent_streams() const {
  if (session_ == nullptr) return options_.max_concurrent_streams;
  return nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

core::Result<std::shared_ptr<H2Stream>> H2Session::open_stream(core::Headers headers,
                                                               bool end_stream, FieldNames names) {
  if (!is_open()) return make_error_code(going_away_ ? Errc::refused : Errc::session_closed);
  auto stream = new_stream();
  stream->local_fin_ = end_stream;
  // nghttp2 copied and lower-cased every field (~1.9k instructions per request); with NO_COPY
  // it points into the stream's own copy until it packs the HEADERS frame, or drops it
  // (on_frame_not_send, then on_stream_close). streams_ holds the stream until on_stream_close,
  // or until the session has ended and packs nothing more (fail_all); nghttp2_session_del frees
  // a queued frame without reading its fields.
  stream->sent_headers_ = names == FieldNames::lower_case
                              ? std::move(headers)
                              : detail::lower_case_names(std::move(headers));
  detail::NvList nv(&hpack_indexed_names_);
  nv.reserve(stream->sent_headers_.size());
  for (const auto& f : stream->sent_headers_) nv.add_borrowed(f.name, f.value);
  nghttp2_data_provider provider{};
  provider.source.ptr = stream.get();
  provider.read_callback = &H2StreamAccess::read_data;
  auto id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(),
                                   end_stream ? nullptr : &provider, stream.get());
  if (id < 0) {
    return make_error_code(id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE ? Errc::refused
                                                                     : Errc::protocol_error);
  }
  stream->id_ = id;
  streams_.emplace(id, stream);
  wake_writer();
  return stream;
}

void H2Session::shutdown() {
  if (going_away_ || !open_) return;
  going_away_ = true;
  local_goaway_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  wake_writer();
}

void H2Session::close() {
  if (!open_) return;
  open_ = false;
  error_code ignored;
  // Cancels the pending read and write: run() then returns and fails every stream.
  stream_.lowest_layer().close(ignored);
  wake_writer();
}

void H2Session::fail_all(error_code reason) {
  auto streams = std::move(streams_);
  streams_.clear();
  receiving_headers_ = nullptr;
  for (auto& [id, stream] : streams) stream->on_closed(reason);
}

}  // namespace relay::net
