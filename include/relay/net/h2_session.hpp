#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "relay/core/headers.hpp"
#include "relay/core/result.hpp"
#include "relay/net/async_event.hpp"
#include "relay/net/tls.hpp"

struct nghttp2_session;

namespace relay::net {

namespace detail {
class H2Allocator;
}

struct H2Options {
  std::chrono::milliseconds ping_interval{10'000};
  int max_missed_pings = 2;  // silence for (max_missed_pings + 1) intervals = dead peer
  // Per-stream receive window: how much one request body may run ahead of its reader. This
  // is what bounds memory per stream; the connection window bounds the session.
  std::uint32_t stream_window = 1u << 20;
  std::uint32_t connection_window = 32u << 20;
  std::uint32_t max_concurrent_streams = 1024;
  // write() waits while this many bytes are queued on a stream and not yet framed.
  std::size_t stream_send_buffer = 256u * 1024;
  std::uint32_t max_header_list_bytes = 256u * 1024;
  // Server role: nghttp2's RST_STREAM rate limit (its CVE-2023-44487 "rapid reset" defence), a
  // token bucket of `reset_burst` resets refilled by `reset_rate` a second; past it nghttp2
  // sends GOAWAY. These are nghttp2's defaults; the agent raises them for the edge (agent.cpp).
  std::uint64_t reset_burst = 1000;
  std::uint64_t reset_rate = 33;
  // After a GOAWAY that this side did not ask for (sent by nghttp2 itself, or received), the
  // streams in flight get this long to finish before the connection is closed.
  std::chrono::milliseconds goaway_drain{30'000};
};

// A GOAWAY frame: who sent it, why, and the last stream the sender will still process.
struct H2Goaway {
  bool sent = false;  // true: this side sent it (nghttp2 on its own); false: the peer did
  std::uint32_t error_code = 0;
  std::int32_t last_stream_id = 0;
  std::string debug_data;  // printable ASCII only, at most 256 bytes
  [[nodiscard]] std::string error_name() const;
};

class H2Session;

// What a caller knows of the names of a header block it hands over: HTTP/2 wants them in lower
// case, and checking each name costs ~45 instructions (a request has a dozen).
enum class FieldNames { any_case, lower_case };

// One HTTP/2 stream: a request and its response. All members are called on the session's
// executor (one thread owns the session and everything in it).
class H2Stream {
 public:
  H2Stream(std::weak_ptr<H2Session> session, const boost::asio::any_io_executor& ex);
  H2Stream(const H2Stream&) = delete;
  H2Stream& operator=(const H2Stream&) = delete;
  ~H2Stream();

  [[nodiscard]] std::int32_t id() const { return id_; }

  // The header block received: the request in the server role (":method", ":path",
  // ":authority", ":scheme" first), the final response in the client role (":status" first).
  [[nodiscard]] const core::Headers& headers() const { return headers_; }
  [[nodiscard]] int status() const { return status_; }

  // Client role: waits for the final response headers. Fails if the stream is reset or the
  // session dies first.
  boost::asio::awaitable<core::error_code> wait_headers();

  // Moves every buffered body byte into `out` (replacing its content), waiting for at least one.
  // An empty `out` without error means the body is complete. The next read is what reopens
  // the peer's flow-control window for these bytes: the reader is done with them by then
  // (written on), so an unread body stops its sender and at most one window of it is held
  // per stream, in `out` or here: backpressure end to end.
  boost::asio::awaitable<core::error_code> read(std::string& out);
  // read() when it need not wait, without a coroutine: nullopt (and `out` empty) when it would
  // wait, then co_await read(). Most reads of a webhook's body find it all there already.
  std::optional<core::error_code> try_read(std::string& out);
  [[nodiscard]] bool body_complete() const { return remote_closed_ && recv_buf_.empty(); }
  // Body bytes received and not yet read: 0 means read() would wait.
  [[nodiscard]] std::size_t buffered() const { return recv_buf_.size(); }

  // Server role: the response headers. `end_stream` when there is no body to follow. Taken
  // by value: the stream keeps them until nghttp2 has packed the HEADERS frame. Names as in
  // H2Session::open_stream().
  core::error_code respond(int status, core::Headers headers, bool end_stream,
                           FieldNames names = FieldNames::any_case);

  // Sends body bytes; `fin` ends the body. When nothing is queued the bytes are framed from
  // `data` itself and write() returns once they all are, so it waits while the peer's window
  // is closed (a slow reader on the other side); otherwise, and for a last write of at most
  // kSmallLastWrite bytes, they are queued and write() waits while the queue is over its
  // limit. Either way: backpressure.
  boost::asio::awaitable<core::error_code> write(std::string_view data, bool fin);
  // write() when it need not wait, without a coroutine: nullopt, and nothing done, when it
  // would (the bytes are to be framed from `data`, or the queue is full); then co_await
  // write(). A small last write (a webhook's whole body) never waits.
  std::optional<core::error_code> try_write(std::string_view data, bool fin);

  // Abandons the stream (RST_STREAM, CANCEL by default). Safe to call more than once.
  void reset(std::uint32_t h2_error_code = 0x8);

  // Body bytes queued by write() and not yet framed.
  [[nodiscard]] std::size_t send_pending() const {
    return send_view_.size() + send_buf_.size() - send_offset_;
  }
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] core::error_code close_reason() const { return close_reason_; }

 private:
  friend class H2Session;
  friend struct H2StreamAccess;

  static constexpr std::size_t kDeferred = static_cast<std::size_t>(-1);
  static constexpr std::size_t kDefaultSendLimit = 256u * 1024;  // the session sets its own
  static constexpr std::size_t kSmallLastWrite = 8u * 1024;      // see write()

  void on_closed(core::error_code reason);
  // write()'s bytes to the session: framed from `data` itself (`borrowed`) or queued.
  void enqueue(H2Session& session, std::string_view data, bool fin, bool borrowed);
  [[nodiscard]] bool borrows(std::string_view data, bool fin) const {
    return send_pending() == 0 && !data.empty() && !(fin && data.size() <= kSmallLastWrite);
  }
  // Body bytes that arrived but were never read, or that the last read handed out, still hold
  // the connection's window: hands them back to the session (when a stream ends, or is reused).
  void give_back_window();
  // Gives the peer back the window of what the last read handed out (see read()).
  void release_read();
  // Makes a finished stream as good as new for its session's next request: every member as
  // the constructor leaves it, but the header list's and small buffers' capacity is kept.
  void reuse();
  // How many queued body bytes the next DATA frame carries (at most `length`), or kDeferred
  // when nothing is queued yet (the stream is deferred until write()).
  std::size_t frame_length(std::size_t length, bool& eof);
  // Hands the next `n` queued bytes (the frame's payload) to the session's next write and
  // drops them from the queue.
  void take_frame(H2Session& session, std::size_t n);
  [[nodiscard]] bool has_send_space() const;

  // Every member below is reset by reuse(): a new one must be reset there too.
  std::weak_ptr<H2Session> session_;
  std::int32_t id_ = -1;
  core::Headers headers_;
  // The header block it sent: the request it was opened with (client role, open_stream()) or
  // its response (server role, respond()). nghttp2 points into these bytes until it has packed
  // the HEADERS frame, so they live as long as the stream.
  core::Headers sent_headers_;
  std::array<char, 3> status_text_{};  // the response's :status, lent as sent_headers_ is
  bool responded_ = false;
  int status_ = 0;
  bool headers_complete_ = false;
  bool remote_closed_ = false;  // END_STREAM received
  bool local_fin_ = false;      // we queued our last byte
  bool data_deferred_ = false;  // nghttp2 asked for data we did not have yet
  bool closed_ = false;
  bool lent_ = false;  // send_view_'s bytes are in the session's TLS write (H2Session::borrow)
  core::error_code close_reason_;
  std::string recv_buf_;
  std::size_t handed_out_ = 0;  // bytes the last read gave the reader, not yet given back
  std::string_view send_view_;  // the current write()'s bytes, framed before send_buf_
  std::string send_buf_;
  std::size_t send_offset_ = 0;
  std::size_t send_limit_ = kDefaultSendLimit;
  AsyncEvent recv_event_;
  AsyncEvent send_event_;
};

// One HTTP/2 connection over TLS, in the client role (the edge) or the server role (the agent).
// run() drives it: one read loop, one write loop that coalesces every pending frame into one
// TLS write, and a PING loop. Streams are handed out as shared_ptr and outlive their session
// safely (they fail with Errc::session_closed).
class H2Session : public std::enable_shared_from_this<H2Session> {
 public:
  enum class Role { client, server };
  using StreamHandler = std::function<void(std::shared_ptr<H2Stream>)>;
  using GoawayHandler = std::function<void(const H2Goaway&)>;

  // `already_read`: bytes that arrived with the upgrade response, before HTTP/2 began.
  H2Session(TlsStream stream, Role role, H2Options options, std::string already_read = {});
  H2Session(const H2Session&) = delete;
  H2Session& operator=(const H2Session&) = delete;
  ~H2Session();

  // Server role: called for every stream the peer opens, once its request headers are in.
  void set_stream_handler(StreamHandler handler) { handler_ = std::move(handler); }
  // Called once when a GOAWAY that this side did not ask for through shutdown() is sent (nghttp2
  // sends one on its own when the peer trips a limit or breaks the protocol) or received. The
  // session takes no new streams from then on, logs a warning, and closes after
  // H2Options::goaway_drain at the latest; the owner ends its long-lived streams (the control
  // stream) so that the session ends as soon as the requests in flight are done. Called outside
  // nghttp2's callbacks: the handler may use the session freely.
  void set_goaway_handler(GoawayHandler handler) { goaway_handler_ = std::move(handler); }
  // Called when the session, idle, has given its read buffer and OpenSSL's record buffers back
  // to the heap (see note_read()); again after each busy spell. The edge trims its heap then.
  void set_idle_handler(std::function<void()> handler) { idle_handler_ = std::move(handler); }
  // The GOAWAY that ended (or is ending) the session, if any besides our own shutdown().
  [[nodiscard]] const std::optional<H2Goaway>& goaway() const { return goaway_; }

  // Runs until the connection ends; returns why (eof after GOAWAY is success).
  boost::asio::awaitable<core::error_code> run();

  // Client role: a new request. `headers` start with the pseudo-headers; no connection-specific
  // fields. `end_stream` when no body follows. The stream keeps the headers: nghttp2 sends them
  // from there, uncopied. Names must be in lower case (HTTP/2): a stray upper-case one is
  // lowered here, unless the caller says it built them all so (FieldNames::lower_case).
  core::Result<std::shared_ptr<H2Stream>> open_stream(core::Headers headers, bool end_stream,
                                                      FieldNames names = FieldNames::any_case);

  // GOAWAY: no new streams; run() returns once the streams in flight have finished. A
  // long-lived stream (the control stream) counts as in flight: finish or reset it.
  void shutdown();
  // Ends the connection now; every open stream fails with Errc::session_closed.
  void close();

  [[nodiscard]] bool is_open() const { return open_ && !going_away_; }
  [[nodiscard]] std::size_t active_streams() const { return streams_.size(); }
  // Whether nghttp2 still keeps state for stream `id`: a finished stream should leave none.
  [[nodiscard]] bool holds_stream_state(std::int32_t id) const;
  // The peer's SETTINGS_MAX_CONCURRENT_STREAMS (before its SETTINGS: what we assume of it).
  // Requests beyond it would wait inside nghttp2 with no deadline (edge/stream_budget.hpp).
  [[nodiscard]] std::uint32_t peer_max_concurrent_streams() const;
  [[nodiscard]] boost::asio::any_io_executor get_executor() { return executor_; }
  TlsStream& transport() { return stream_; }

 private:
  friend class H2Stream;
  friend struct H2StreamAccess;
  struct Callbacks;
  // The deleter of every stream handed out: a stream that ends while its session lives goes
  // back to the session's spares (reuse()) instead of the heap.
  struct StreamRecycler {
    void operator()(H2Stream* stream) const;
  };

  // A stream for a new request: a spare one when there is one. A new H2Stream was two heap
  // blocks (the stream, its 16-field header list) and two executor copies per request, and
  // the blocks came back to the heap when the request ended.
  std::shared_ptr<H2Stream> new_stream();

  boost::asio::awaitable<core::error_code> read_loop();
  boost::asio::awaitable<core::error_code> write_loop();
  boost::asio::awaitable<core::error_code> ping_loop();
  void wake_writer() { write_event_.notify(); }
  // No request in flight: the control stream at most.
  [[nodiscard]] bool idle() const { return streams_.size() <= 1; }
  // Sizes the read buffer and OpenSSL's record buffers to what the session is doing.
  void note_read(std::size_t n);
  void set_tls_buffers_kept(bool kept);

  // Calls the stream handler for the requests whose headers the last read completed. Not
  // from inside nghttp2's callbacks: the rest of that read (a webhook's body, in the same
  // TLS record) is then parsed already, and handlers may call into the session freely.
  void hand_out_accepted();
  // Records a GOAWAY (from nghttp2's callbacks): no new streams, a warning, the drain deadline.
  void note_goaway(H2Goaway goaway);
  // Calls the GOAWAY handler once, outside nghttp2's callbacks.
  void report_goaway();
  void fail_all(core::error_code reason);
  H2Stream* find(std::int32_t id);
  // Frames a writer's bytes from its own buffer: the next TLS write gathers them in place
  // instead of out_ holding a copy, and the writer waits until that write is done.
  void borrow(H2Stream& stream, std::string_view bytes);
  // After the TLS write (or when the session ends): the writers may have their buffers back.
  void release_lenders();
  // Frame bytes waiting for the next TLS write: out_'s and the borrowed ones.
  [[nodiscard]] std::size_t framed_bytes() const { return out_.size() + borrowed_bytes_; }

  boost::asio::any_io_executor executor_;
  std::unique_ptr<detail::H2Allocator> allocator_;  // nghttp2's; outlives session_
  TlsStream stream_;
  Role role_;
  H2Options options_;
  std::string already_read_;
  nghttp2_session* session_ = nullptr;
  StreamHandler handler_;
  std::unordered_map<std::int32_t, std::shared_ptr<H2Stream>> streams_;
  std::string out_;  // frames gathered for the next TLS write
  struct Borrowed {
    std::size_t at;  // where in out_ the bytes go
    std::string_view bytes;
  };
  std::vector<Borrowed> borrowed_;  // see borrow()
  std::size_t borrowed_bytes_ = 0;
  std::vector<std::shared_ptr<H2Stream>> lenders_;  // the streams whose bytes those are
  std::vector<boost::asio::const_buffer> gather_;   // out_ and borrowed_, in order
  std::unique_ptr<std::uint8_t[]> read_buf_;        // see note_read()
  std::size_t read_buf_size_ = 0;
  int idle_reads_ = 0;
  bool tls_buffers_kept_ = true;
  std::vector<std::int32_t> parked_;  // streams deferred while out_ was full
  // The stream of the header block being received (Callbacks::on_begin_headers), or null; one of
  // streams_ (cleared when it leaves).
  H2Stream* receiving_headers_ = nullptr;
  std::vector<std::shared_ptr<H2Stream>> accepted_;       // server role: for hand_out_accepted()
  std::vector<std::unique_ptr<H2Stream>> spare_streams_;  // see new_stream()
  AsyncEvent write_event_;
  std::chrono::steady_clock::time_point last_frame_;
  GoawayHandler goaway_handler_;
  std::function<void()> idle_handler_;
  std::optional<H2Goaway> goaway_;
  // Which per-request HPACK fields this session's encoder has indexed once (detail::NvList).
  std::uint8_t hpack_indexed_names_ = 0;
  bool goaway_reported_ = false;
  bool local_goaway_ = false;  // shutdown() submitted ours: not a condition to report
  boost::asio::steady_timer drain_timer_;
  bool open_ = true;
  bool going_away_ = false;
  core::error_code fatal_;
};

}  // namespace relay::net
