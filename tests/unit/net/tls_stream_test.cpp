// net::TlsStream over real sockets on 127.0.0.1: handshake, both directions at once, the errors
// ssl::stream gave (eof, stream_truncated, certificate refused), cancellation, no SIGPIPE.
#include "relay/net/tls_stream.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "relay/net/tls.hpp"

namespace relay::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using core::error_code;
using namespace std::chrono_literals;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

class TlsStreamTest : public ::testing::Test {
 protected:
  TlsStreamTest() {
    auto pem = make_self_signed_certificate({"127.0.0.1"});
    server_ctx_ = make_server_tls_context(pem, {});
    TlsClientOptions client;
    client.pinned_pem = pem.cert;
    client_ctx_ = make_client_tls_context(client);
  }

  // Connected TCP sockets wrapped in TlsStreams; handshaken unless told otherwise.
  std::pair<TlsStream, TlsStream> connect(bool handshake = true,
                                          asio::ssl::context* client_ctx = nullptr) {
    tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    TlsStream server(io_, *server_ctx_);
    TlsStream client(io_, client_ctx != nullptr ? *client_ctx : *client_ctx_);
    client.next_layer().connect(acceptor.local_endpoint());
    acceptor.accept(server.next_layer());
    prepare_client_stream(client, "127.0.0.1", true);
    if (handshake) {
      auto [s, c] = handshake_both(server, client);
      EXPECT_FALSE(s) << s.message();
      EXPECT_FALSE(c) << c.message();
    }
    return {std::move(server), std::move(client)};
  }

  std::pair<error_code, error_code> handshake_both(TlsStream& server, TlsStream& client) {
    error_code server_ec;
    error_code client_ec;
    int done = 0;
    server.async_handshake(asio::ssl::stream_base::server, [&](error_code ec) {
      server_ec = ec;
      ++done;
    });
    client.async_handshake(asio::ssl::stream_base::client, [&](error_code ec) {
      client_ec = ec;
      ++done;
    });
    run_until([&] { return done == 2; });
    return {server_ec, client_ec};
  }

  template <class F>
  void run_until(F done) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(10ms);
    }
    ASSERT_TRUE(done()) << "timed out";
  }

  asio::io_context io_;
  TlsContextPtr server_ctx_;
  TlsContextPtr client_ctx_;
};

// A read of up to 16 bytes left pending on `stream`; `done` and `ec` once it completes.
struct PendingRead {
  std::string buf = std::string(16, '\0');
  bool done = false;
  error_code ec;
};
std::shared_ptr<PendingRead> start_read(TlsStream& stream) {
  auto read = std::make_shared<PendingRead>();
  stream.async_read_some(asio::buffer(read->buf), [read](error_code ec, std::size_t) {
    read->ec = ec;
    read->done = true;
  });
  return read;
}

std::string pattern(std::size_t n, char seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + (i * 7) % 251);
  return s;
}

// 4 MiB each way at once: more than the socket buffers hold, so both sides wait for
// writability while a read is in flight on the same SSL object.
TEST_F(TlsStreamTest, BothDirectionsAtOnceAreByteExact) {
  auto [server, client] = connect();
  const std::string up = pattern(4u << 20, 'a');
  const std::string down = pattern(4u << 20, 'k');
  std::string got_up(up.size(), '\0');
  std::string got_down(down.size(), '\0');
  int done = 0;
  auto send = [&](TlsStream& s, const std::string& data) -> asio::awaitable<void> {
    auto [ec, n] = co_await asio::async_write(s, asio::buffer(data), kTuple);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(n, data.size());
    ++done;
  };
  auto receive = [&](TlsStream& s, std::string& into) -> asio::awaitable<void> {
    auto [ec, n] = co_await asio::async_read(s, asio::buffer(into), kTuple);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(n, into.size());
    ++done;
  };
  asio::co_spawn(io_, send(client, up), asio::detached);
  asio::co_spawn(io_, send(server, down), asio::detached);
  asio::co_spawn(io_, receive(server, got_up), asio::detached);
  asio::co_spawn(io_, receive(client, got_down), asio::detached);
  run_until([&] { return done == 4; });
  EXPECT_TRUE(got_up == up);
  EXPECT_TRUE(got_down == down);
}

// Several records already received come up in one read (read-ahead into a buffer of several
// records), not one per read.
TEST_F(TlsStreamTest, OneReadReturnsEveryRecordAlreadyReceived) {
  auto [server, client] = connect();
  const std::string data = pattern(40'000, 'x');  // three records
  bool written = false;
  asio::async_write(client, asio::buffer(data), [&](error_code ec, std::size_t) {
    EXPECT_FALSE(ec);
    written = true;
  });
  run_until([&] { return written; });
  std::this_thread::sleep_for(50ms);  // all of it in the server's socket buffer
  std::string buf(64 * 1024, '\0');
  std::size_t got = 0;
  server.async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t n) {
    EXPECT_FALSE(ec);
    got = n;
  });
  run_until([&] { return got > 0; });
  EXPECT_EQ(got, data.size());
  EXPECT_TRUE(buf.substr(0, got) == data);
}

TEST_F(TlsStreamTest, HandlerNeverRunsInsideItsInitiation) {
  auto [server, client] = connect();
  bool initiating = true;
  bool called_inside = false;
  bool done = false;
  // The socket has room: the write completes on the first try, and must still be posted.
  client.async_write_some(asio::buffer("ping", 4), [&](error_code ec, std::size_t n) {
    EXPECT_FALSE(ec);
    EXPECT_EQ(n, 4u);
    called_inside = initiating;
    done = true;
  });
  initiating = false;
  run_until([&] { return done; });
  EXPECT_FALSE(called_inside);
}

TEST_F(TlsStreamTest, CloseNotifyIsEofAndTcpCloseIsTruncation) {
  {
    auto [server, client] = connect();
    bool shut = false;
    auto read = start_read(server);
    // The client's shutdown waits for the server's close_notify, which OpenSSL sends when the
    // server reads the client's: close the client once its own is out.
    client.async_shutdown([&](error_code) { shut = true; });
    run_until([&] { return read->done; });
    EXPECT_EQ(read->ec, asio::error::eof) << read->ec.message();
    client.lowest_layer().close();
    run_until([&] { return shut; });
  }
  {
    auto [server, client] = connect();
    // No close_notify, just FIN (a close() with the session tickets unread would be a RST).
    client.lowest_layer().shutdown(tcp::socket::shutdown_send);
    auto read = start_read(server);
    run_until([&] { return read->done; });
    EXPECT_EQ(read->ec, asio::ssl::error::stream_truncated) << read->ec.message();
  }
}

TEST_F(TlsStreamTest, ClosingTheSocketCancelsAPendingRead) {
  auto [server, client] = connect();
  auto read = start_read(server);
  io_.poll();
  EXPECT_FALSE(read->done);
  server.lowest_layer().close();
  run_until([&] { return read->done; });
  EXPECT_EQ(read->ec, asio::error::operation_aborted) << read->ec.message();
}

// The BIO sends with MSG_NOSIGNAL: a write to a peer that is gone fails, the process lives on.
TEST_F(TlsStreamTest, WritingToAClosedPeerFailsWithoutSigpipe) {
  auto [server, client] = connect();
  server.lowest_layer().close();
  const std::string data = pattern(1u << 20, 'p');
  error_code write_ec;
  for (int i = 0; i < 20 && !write_ec; ++i) {
    bool done = false;
    asio::async_write(client, asio::buffer(data), [&](error_code ec, std::size_t) {
      write_ec = ec;
      done = true;
    });
    run_until([&] { return done; });
  }
  EXPECT_TRUE(write_ec);
}

TEST_F(TlsStreamTest, AnUntrustedCertificateFailsTheHandshake) {
  auto other = make_self_signed_certificate({"127.0.0.1"});
  TlsClientOptions options;
  options.pinned_pem = other.cert;  // not the server's
  auto ctx = make_client_tls_context(options);
  auto [server, client] = connect(false, ctx.get());
  auto [server_ec, client_ec] = handshake_both(server, client);
  EXPECT_TRUE(client_ec);
  EXPECT_EQ(client_ec.category(), asio::error::get_ssl_category()) << client_ec.message();
  EXPECT_NE(SSL_get_verify_result(client.native_handle()), X509_V_OK);
  EXPECT_TRUE(server_ec);
  EXPECT_NE(describe_tls_error(client_ec, client).find("certificate"), std::string::npos);
}

}  // namespace
}  // namespace relay::net
