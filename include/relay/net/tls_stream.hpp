#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <memory>
#include <type_traits>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>

#include "relay/core/result.hpp"

using SSL = struct ssl_st;

namespace relay::net {

// TLS over a TCP socket, with OpenSSL reading and writing the socket itself (a BIO on its file
// descriptor) and Asio only waiting for readiness. Asio's ssl::stream puts a BIO pair and two
// buffers of its own between OpenSSL and the socket: four 17 KiB buffers per connection that
// stay allocated (68 KiB of an idle agent session's ~110 KiB at the edge, bench/idle_sessions.py)
// and two more copies of every byte. Here a record is encrypted into OpenSSL's write buffer and
// sent from there, and read into its read buffer, which OpenSSL frees while a session is idle
// (SSL_MODE_RELEASE_BUFFERS). The interface is the part of ssl::stream relay uses: an
// AsyncReadStream and AsyncWriteStream for Beast and asio::async_write, handshake, shutdown.
//
// One read and one write may be in flight at once, on the connection's executor (one thread):
// OpenSSL allows SSL_read and SSL_write to interleave on one thread, each retried with the same
// arguments after WANT_READ/WANT_WRITE.
class TlsStream {
 public:
  // TLS's largest record payload: a write is cut into records of this size, buffer by buffer.
  static constexpr std::size_t kMaxRecord = 16 * 1024;

  using executor_type = boost::asio::any_io_executor;
  using next_layer_type = boost::asio::ip::tcp::socket;
  using lowest_layer_type = boost::asio::ip::tcp::socket;

  TlsStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& context);
  // An unopened socket on `ex` (an executor or an io_context), to connect or accept later.
  template <class ExecutorOrContext>
  requires(!std::same_as<std::decay_t<ExecutorOrContext>, boost::asio::ip::tcp::socket>)
      TlsStream(ExecutorOrContext& ex, boost::asio::ssl::context& context)
      : TlsStream(boost::asio::ip::tcp::socket(ex), context) {}
  TlsStream(TlsStream&&) noexcept;
  TlsStream& operator=(TlsStream&&) noexcept;
  ~TlsStream();

  [[nodiscard]] executor_type get_executor() { return io_->socket.get_executor(); }
  [[nodiscard]] SSL* native_handle() const { return io_->ssl; }
  next_layer_type& next_layer() { return io_->socket; }
  lowest_layer_type& lowest_layer() { return io_->socket; }

  template <class Token>
  auto async_handshake(boost::asio::ssl::stream_base::handshake_type type, Token&& token) {
    start_handshake(type);
    return run<void(core::error_code)>(Step::handshake, {}, std::forward<Token>(token));
  }
  // Sends close_notify and waits for the peer's (as ssl::stream does).
  template <class Token>
  auto async_shutdown(Token&& token) {
    return run<void(core::error_code)>(Step::shutdown, {}, std::forward<Token>(token));
  }
  // Reads into the first non-empty buffer: whatever has arrived, at least one byte.
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return run<void(core::error_code, std::size_t)>(Step::read, first_buffer(buffers),
                                                    std::forward<Token>(token));
  }
  // Writes all of the first kMaxGather buffers, unless an error comes first: a frame header
  // and the body bytes it frames go out in one operation without being copied together.
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return run<void(core::error_code, std::size_t)>(Step::write, gather(buffers),
                                                    std::forward<Token>(token));
  }

  // What the socket BIO in tls_stream.cpp reads and writes through; stable across moves.
  struct Io {
    boost::asio::ip::tcp::socket socket;
    SSL* ssl = nullptr;
    int sys_error = 0;          // errno of the BIO's last failed send/recv
    bool eof = false;           // the peer closed the TCP connection
    bool more_records = false;  // a write is under way with more records after this one
    struct Received {
      std::unique_ptr<char[]> data;  // kReceiveBuffer bytes while the connection is busy
      std::size_t begin = 0;         // what OpenSSL has not asked for yet: [begin, end)
      std::size_t end = 0;
    } received;
  };

 private:
  enum class Step { handshake, read, write, shutdown };
  enum class Want { nothing, read, write };
  struct Outcome {
    Want want = Want::nothing;
    core::error_code ec;
  };

  static constexpr std::size_t kMaxGather = 8;
  // The non-empty buffers an operation moves: one to read into, up to kMaxGather to write.
  struct Buffers {
    std::array<boost::asio::mutable_buffer, kMaxGather> items;
    std::size_t count = 0;
    [[nodiscard]] std::size_t size() const {
      std::size_t n = 0;
      for (std::size_t i = 0; i < count; ++i) n += items[i].size();
      return n;
    }
  };

  // One call into OpenSSL for `step`; `done` counts the bytes moved so far in this operation.
  static Outcome advance(Io& io, Step step, const Buffers& buffers, std::size_t& done);
  void start_handshake(boost::asio::ssl::stream_base::handshake_type type);

  template <class Sequence>
  static Buffers gather(const Sequence& buffers, std::size_t limit = kMaxGather) {
    Buffers out;
    // A pointer for a single buffer, an iterator class for a sequence: no `const auto*` here.
    // NOLINTNEXTLINE(readability-qualified-auto)
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && out.count < limit; ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() != 0) out.items[out.count++] = {const_cast<void*>(b.data()), b.size()};
    }
    return out;
  }
  template <class Sequence>
  static Buffers first_buffer(const Sequence& buffers) {
    return gather(buffers, 1);
  }

  // The composed operation: advance() until OpenSSL has what it needs, waiting on the socket in
  // between. A result on the first try is posted, so that no handler runs inside its
  // initiating function (as Asio's own operations guarantee).
  template <bool WithBytes>
  struct Operation {
    Io* io;
    Step step;
    Buffers buffers;
    std::size_t done = 0;
    bool waited = false;
    bool finished = false;
    core::error_code result;

    template <class Self>
    void operator()(Self& self, core::error_code wait_ec = {}) {
      if (!finished) {
        if (wait_ec) {
          result = wait_ec;
        } else {
          auto outcome = advance(*io, step, buffers, done);
          if (outcome.want != Want::nothing) {
            waited = true;
            io->socket.async_wait(outcome.want == Want::read
                                      ? boost::asio::ip::tcp::socket::wait_read
                                      : boost::asio::ip::tcp::socket::wait_write,
                                  std::move(self));
            return;
          }
          result = outcome.ec;
        }
        finished = true;
        if (!waited) {
          boost::asio::post(io->socket.get_executor(), std::move(self));
          return;
        }
      }
      if constexpr (WithBytes) {
        self.complete(result, done);
      } else {
        self.complete(result);
      }
    }
  };

  template <class Signature, class Token>
  auto run(Step step, const Buffers& buffers, Token&& token) {
    constexpr bool kWithBytes = !std::is_same_v<Signature, void(core::error_code)>;
    return boost::asio::async_compose<Token, Signature>(
        Operation<kWithBytes>{io_.get(), step, buffers, 0, false, false, {}}, token, io_->socket);
  }

  std::unique_ptr<Io> io_;
};

}  // namespace relay::net
