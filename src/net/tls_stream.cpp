#include "relay/net/tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <boost/asio/ssl/error.hpp>

namespace relay::net {

namespace asio = boost::asio;
using core::error_code;

namespace {

TlsStream::Io& io_of(BIO* bio) { return *static_cast<TlsStream::Io*>(BIO_get_data(bio)); }

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

// What one recv() may bring: four full records and their overhead, one per 64 KiB of a busy
// tunnel instead of one per record. Allocated while the connection is busy only (see
// SSL_MODE_RELEASE_BUFFERS below).
constexpr std::size_t kReceiveBuffer = 4 * (TlsStream::kMaxRecord + 256);

int receive(BIO* bio, TlsStream::Io& io);

// send() with MSG_NOSIGNAL: a peer gone away is an EPIPE for this connection, never a SIGPIPE
// for the process (OpenSSL's own socket BIO uses write()). MSG_MORE while the write in progress
// has records to follow (Io::more_records).
int bio_write(BIO* bio, const char* data, int size) {
  auto& io = io_of(bio);
  BIO_clear_retry_flags(bio);
  const int flags = MSG_NOSIGNAL | (io.more_records ? MSG_MORE : 0);
  for (;;) {
    auto n = ::send(io.socket.native_handle(), data, static_cast<std::size_t>(size), flags);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (would_block(errno)) {
      BIO_set_retry_write(bio);
    } else {
      io.sys_error = errno;
    }
    return -1;
  }
}

// OpenSSL asks for a record's 5-byte header, then for its body: both come from Io::received,
// which one recv() fills with whatever the socket has (up to kReceiveBuffer). OpenSSL's own
// read-ahead did the same in its buffer, but moved every byte still buffered to the front of
// it at each record: 1.5-2 copies of every byte of a busy tunnel, against one here.
int bio_read(BIO* bio, char* data, int size) {
  auto& io = io_of(bio);
  BIO_clear_retry_flags(bio);
  auto& in = io.received;
  if (in.begin == in.end) {
    const int got = receive(bio, io);
    if (got <= 0) return got;
  }
  const auto n = std::min(static_cast<std::size_t>(size), in.end - in.begin);
  std::memcpy(data, in.data.get() + in.begin, n);
  in.begin += n;
  // A session that gives its record buffers back while idle gives this one back too.
  if (in.begin == in.end && (SSL_get_mode(io.ssl) & SSL_MODE_RELEASE_BUFFERS) != 0) {
    in.data.reset();
  }
  return static_cast<int>(n);
}

int receive(BIO* bio, TlsStream::Io& io) {
  auto& in = io.received;
  if (!in.data) in.data = std::make_unique_for_overwrite<char[]>(kReceiveBuffer);
  for (;;) {
    auto n = ::recv(io.socket.native_handle(), in.data.get(), kReceiveBuffer, 0);
    if (n > 0) {
      in.begin = 0;
      in.end = static_cast<std::size_t>(n);
      return static_cast<int>(n);
    }
    if (n == 0) {
      io.eof =
          true;  // BIO_CTRL_EOF: OpenSSL then reports "unexpected EOF" unless close_notify came
      return 0;
    }
    if (errno == EINTR) continue;
    if (would_block(errno)) {
      BIO_set_retry_read(bio);
    } else {
      io.sys_error = errno;
    }
    // An idle session waits here for its next PING: without the buffer.
    if ((SSL_get_mode(io.ssl) & SSL_MODE_RELEASE_BUFFERS) != 0) in.data.reset();
    return -1;
  }
}

long bio_ctrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing is buffered here: every write went to the socket
    case BIO_CTRL_EOF:
      return io_of(bio).eof && io_of(bio).received.begin == io_of(bio).received.end ? 1 : 0;
    case BIO_CTRL_PENDING:
      return static_cast<long>(io_of(bio).received.end - io_of(bio).received.begin);
    default:
      return 0;
  }
}

const BIO_METHOD* socket_method() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "relay socket");
    BIO_meth_set_write(m, &bio_write);
    BIO_meth_set_read(m, &bio_read);
    BIO_meth_set_ctrl(m, &bio_ctrl);
    return m;
  }();
  return method;
}

// What ssl::stream reports for the same conditions, so that callers and Beast see the errors
// they know: eof after the peer's close_notify, stream_truncated for a TCP close without one.
error_code error_of(TlsStream::Io& io, int ssl_error) {
  error_code ec;
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    ec = asio::error::eof;
  } else if (ssl_error == SSL_ERROR_SYSCALL) {
    ec = io.sys_error != 0 ? error_code(io.sys_error, asio::error::get_system_category())
                           : error_code(asio::ssl::error::stream_truncated);
  } else {
    unsigned long e = ERR_peek_error();
    if (io.eof || ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      ec = asio::ssl::error::stream_truncated;
    } else {
      ec = error_code(static_cast<int>(e), asio::error::get_ssl_category());
    }
  }
  ERR_clear_error();  // the thread's error queue is shared by every connection on it
  return ec;
}

}  // namespace

TlsStream::TlsStream(asio::ip::tcp::socket socket, asio::ssl::context& context)
    : io_(std::make_unique<Io>(Io{std::move(socket)})) {
  io_->ssl = SSL_new(context.native_handle());
  if (io_->ssl == nullptr) {
    throw boost::system::system_error(
        error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category()), "SSL_new");
  }
  // As ssl::stream sets them: write_some semantics, and a session that gives its record
  // buffers back while idle (net::H2Session keeps them while busy).
  SSL_set_mode(io_->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                             SSL_MODE_RELEASE_BUFFERS);
  BIO* bio = BIO_new(socket_method());
  BIO_set_data(bio, io_.get());
  BIO_set_init(bio, 1);
  SSL_set_bio(io_->ssl, bio, bio);
}

TlsStream::TlsStream(TlsStream&&) noexcept = default;
TlsStream& TlsStream::operator=(TlsStream&& other) noexcept {
  if (this != &other) {
    if (io_ && io_->ssl != nullptr) SSL_free(io_->ssl);
    io_ = std::move(other.io_);
  }
  return *this;
}

TlsStream::~TlsStream() {
  if (io_ && io_->ssl != nullptr) SSL_free(io_->ssl);  // and its BIO; the socket closes after
}

void TlsStream::start_handshake(asio::ssl::stream_base::handshake_type type) {
  // OpenSSL reads and writes the descriptor itself: it must not block the event loop.
  error_code ignored;
  io_->socket.non_blocking(true, ignored);
  if (type == asio::ssl::stream_base::client) {
    SSL_set_connect_state(io_->ssl);
  } else {
    SSL_set_accept_state(io_->ssl);
  }
}

TlsStream::Outcome TlsStream::advance(Io& io, Step step, const Buffers& buffers,
                                      std::size_t& done) {
  SSL* ssl = io.ssl;
  const asio::mutable_buffer buffer = buffers.count > 0 ? buffers.items[0] : asio::mutable_buffer();
  auto* data = static_cast<char*>(buffer.data());
  io.sys_error = 0;
  ERR_clear_error();
  int rc = 0;
  switch (step) {
    case Step::handshake:
      rc = SSL_do_handshake(ssl);
      break;
    case Step::shutdown:
      rc = SSL_shutdown(ssl);
      // 0: our close_notify is out; the next call waits for the peer's.
      if (rc == 0) rc = SSL_shutdown(ssl);
      break;
    case Step::read:
      // Every whole record already received, in one completion: read-ahead pulls several
      // records per recv(), and SSL_read returns one at a time.
      while (done < buffer.size()) {
        std::size_t n = 0;
        rc = SSL_read_ex(ssl, data + done, buffer.size() - done, &n);
        if (rc != 1) break;
        done += n;
        if (SSL_has_pending(ssl) == 0 && io.received.begin == io.received.end) break;
      }
      if (buffer.size() == 0 || (done > 0 && rc == 1)) return {};
      break;
    case Step::write: {
      // With ENABLE_PARTIAL_WRITE each call sends at most one record: keep going, buffer after
      // buffer, until the socket is full (then wait and go on) or everything is sent. Every
      // record but the last goes with MSG_MORE: the kernel then sends full segments and wakes
      // the peer once per ~64 KiB instead of once per 16 KiB record (a 1 MiB upload woke the
      // agent 70 times). The last record of the write pushes them all: no cork timer waits.
      const std::size_t total = buffers.size();
      while (done < total) {
        std::size_t i = 0;
        std::size_t skip = done;  // into buffer i; a retry must pass OpenSSL the same bytes
        while (skip >= buffers.items[i].size()) skip -= buffers.items[i++].size();
        const std::size_t rest = buffers.items[i].size() - skip;
        std::size_t n = 0;
        io.more_records = total - done > std::min(rest, kMaxRecord);
        rc = SSL_write_ex(ssl, static_cast<const char*>(buffers.items[i].data()) + skip, rest, &n);
        io.more_records = false;
        if (rc != 1) break;
        done += n;
      }
      if (done == total) return {};
      break;
    }
  }
  if (rc == 1) return {};
  int ssl_error = SSL_get_error(ssl, rc);
  if (ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE) {
    // A read that got records and then ran dry is done: what it has goes up now.
    if (step == Step::read && done > 0) {
      ERR_clear_error();
      return {};
    }
    return {ssl_error == SSL_ERROR_WANT_READ ? Want::read : Want::write, {}};
  }
  auto ec = error_of(io, ssl_error);
  // Bytes already moved count: the error comes with the next call (write_some semantics).
  if ((step == Step::read || step == Step::write) && done > 0) return {};
  return {Want::nothing, ec};
}

}  // namespace relay::net
