// H2Session over real TLS sockets on loopback: both roles, flow control, resets, PING, GOAWAY.
#include "relay/net/h2_session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "relay/net/error.hpp"

namespace relay::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using core::error_code;
using namespace std::chrono_literals;

// Two TLS streams connected over 127.0.0.1.
class H2SessionTest : public ::testing::Test {
 protected:
  H2SessionTest() {
    auto pem = make_self_signed_certificate({"127.0.0.1"});
    server_ctx_ = make_server_tls_context(pem, {"relay/1"});
    TlsClientOptions client;
    client.pinned_pem = pem.cert;
    client_ctx_ = make_client_tls_context(client);
  }

  std::pair<TlsStream, TlsStream> connect_tls() {
    tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    TlsStream server(io_, *server_ctx_);
    TlsStream client(io_, *client_ctx_);
    client.next_layer().connect(acceptor.local_endpoint());
    acceptor.accept(server.next_layer());
    prepare_client_stream(client, "127.0.0.1", true);
    int done = 0;
    server.async_handshake(asio::ssl::stream_base::server, [&](error_code ec) {
      EXPECT_FALSE(ec) << ec.message();
      ++done;
    });
    client.async_handshake(asio::ssl::stream_base::client, [&](error_code ec) {
      EXPECT_FALSE(ec) << ec.message();
      ++done;
    });
    while (done < 2) io_.run_one();
    return {std::move(server), std::move(client)};
  }

  // Starts both sessions; run() results land in server_result_/client_result_.
  void start_sessions(H2Options server_options = {}, H2Options client_options = {}) {
    auto [s, c] = connect_tls();
    server_ = std::make_shared<H2Session>(std::move(s), H2Session::Role::server, server_options);
    client_ = std::make_shared<H2Session>(std::move(c), H2Session::Role::client, client_options);
    server_->set_stream_handler([this](std::shared_ptr<H2Stream> stream) {
      asio::co_spawn(io_, handler_(std::move(stream)), asio::detached);
    });
    asio::co_spawn(io_, server_->run(), [this](std::exception_ptr, error_code ec) {
      server_result_ = ec;
      server_done_ = true;
    });
    asio::co_spawn(io_, client_->run(), [this](std::exception_ptr, error_code ec) {
      client_result_ = ec;
      client_done_ = true;
    });
  }

  template <class F>
  void run_until(F done, std::chrono::seconds limit = 20s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();  // run_for() leaves the context stopped whenever it ran out of work
      io_.run_for(10ms);
    }
    ASSERT_TRUE(done()) << "timed out";
  }

  // A GET without body whose response headers are awaited: `result` is what wait_headers()
  // returned, once `done`.
  void spawn_get_waiting_for_headers(error_code& result, bool& done) {
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          auto stream = client_->open_stream(request("GET"), true).value();
          result = co_await stream->wait_headers();
          done = true;
        },
        asio::detached);
  }

  // A server that answers every request 204 and keeps the fields each one arrived with.
  void record_request_fields(std::vector<std::pair<std::string, std::string>>& seen) {
    handler_ = [&seen](std::shared_ptr<H2Stream> s) -> asio::awaitable<void> {
      for (const auto& f : s->headers()) seen.emplace_back(f.name, f.value);
      s->respond(204, {}, true);
      co_return;
    };
  }

  static core::Headers request(std::string_view method = "POST") {
    return {{":method", std::string(method)},
            {":scheme", "http"},
            {":authority", "t.localhost"},
            {":path", "/hook"}};
  }

  asio::io_context io_;
  TlsContextPtr server_ctx_, client_ctx_;
  std::shared_ptr<H2Session> server_, client_;
  std::function<asio::awaitable<void>(std::shared_ptr<H2Stream>)> handler_;
  error_code server_result_, client_result_;
  bool server_done_ = false, client_done_ = false;
};

asio::awaitable<void> pause(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(delay);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Server handler that echoes the request body and reports the largest read it saw.
asio::awaitable<void> echo(std::shared_ptr<H2Stream> stream, std::size_t* max_chunk,
                           std::chrono::milliseconds delay) {
  std::string body, chunk;
  for (;;) {
    auto ec = co_await stream->read(chunk);
    if (ec || chunk.empty()) break;
    if (max_chunk) *max_chunk = std::max(*max_chunk, chunk.size());
    body += chunk;
    if (delay.count() > 0) co_await pause(delay);
  }
  {
    // Gone before the frame is packed: the stream keeps what nghttp2 reads then (NO_COPY), and
    // lower-cases the stray upper-case name nghttp2 would otherwise have lower-cased.
    core::Headers headers{{"content-type", "text/plain"}, {"X-Mixed-Case", "kept"}};
    stream->respond(200, std::move(headers), false);
  }
  co_await stream->write(body, true);
}

TEST_F(H2SessionTest, RequestAndResponseBodiesCrossBothWays) {
  handler_ = [](std::shared_ptr<H2Stream> s) { return echo(std::move(s), nullptr, 0ms); };
  start_sessions();
  std::string received;
  int status = 0;
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        auto stream = client_->open_stream(request(), false).value();
        co_await stream->write("hello ", false);
        co_await stream->write("tunnel", true);
        EXPECT_FALSE(co_await stream->wait_headers());
        status = stream->status();
        EXPECT_EQ(stream->headers().get("x-mixed-case"), "kept");
        std::string chunk;
        while (!(co_await stream->read(chunk)) && !chunk.empty()) received += chunk;
        done = true;
      },
      asio::detached);
  run_until([&] { return done; });
  EXPECT_EQ(status, 200);
  EXPECT_EQ(received, "hello tunnel");
}

TEST_F(H2SessionTest, ManyConcurrentStreams) {
  handler_ = [](std::shared_ptr<H2Stream> s) { return echo(std::move(s), nullptr, 0ms); };
  start_sessions();
  int ok = 0;
  for (int i = 0; i < 200; ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          auto stream = client_->open_stream(request(), false).value();
          auto body = "request " + std::to_string(i);
          co_await stream->write(body, true);
          if (co_await stream->wait_headers()) co_return;
          std::string all, chunk;
          while (!(co_await stream->read(chunk)) && !chunk.empty()) all += chunk;
          if (all == body) ++ok;
        },
        asio::detached);
  }
  run_until([&] { return ok == 200; });
}

// The server side (the agent) keeps no closed streams: nghttp2 would keep up to
// max_concurrent_streams of them for RFC 7540 priorities, a block each (~0.3 MiB in an agent
// after a burst of webhooks).
TEST_F(H2SessionTest, AFinishedStreamLeavesNoStateBehind) {
  handler_ = [](std::shared_ptr<H2Stream> s) { return echo(std::move(s), nullptr, 0ms); };
  start_sessions();
  int done = 0;
  for (int i = 0; i < 20; ++i) {
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          auto stream = client_->open_stream(request(), false).value();
          co_await stream->write("ping", true);
          EXPECT_FALSE(co_await stream->wait_headers());
          std::string chunk;
          while (!(co_await stream->read(chunk)) && !chunk.empty()) {
          }
          ++done;
        },
        asio::detached);
  }
  run_until([&] { return done == 20 && server_->active_streams() == 0; });
  for (std::int32_t id = 1; id < 40; id += 2) {
    EXPECT_FALSE(server_->holds_stream_state(id)) << "stream " << id;
    EXPECT_FALSE(client_->holds_stream_state(id)) << "stream " << id;
  }
}

TEST_F(H2SessionTest, ConcurrentLargeBodiesArriveIntact) {
  // Bodies larger than a DATA frame, a write buffer and a stream window, on many streams at
  // once: frames are cut from the writers' own buffers (NO_COPY), streams wait while the
  // write buffer is full, and every byte must still arrive in order on the right stream.
  handler_ = [](std::shared_ptr<H2Stream> s) { return echo(std::move(s), nullptr, 0ms); };
  start_sessions();
  constexpr int kStreams = 8;
  int ok = 0;
  for (int i = 0; i < kStreams; ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          std::string body;
          for (std::size_t k = 0; body.size() < 1200u * 1024; ++k) {
            body += std::to_string(i) + ":" + std::to_string(k) + ";";
          }
          auto stream = client_->open_stream(request(), false).value();
          const std::size_t third = body.size() / 3;
          const std::string_view view(body);
          EXPECT_FALSE(co_await stream->write(view.substr(0, third), false));
          EXPECT_FALSE(co_await stream->write(view.substr(third, third), false));
          EXPECT_FALSE(co_await stream->write(view.substr(2 * third), true));
          if (co_await stream->wait_headers()) co_return;
          std::string all, chunk;
          while (!(co_await stream->read(chunk)) && !chunk.empty()) all += chunk;
          EXPECT_EQ(all.size(), body.size());
          if (all == body) ++ok;
        },
        asio::detached);
  }
  run_until([&] { return ok == kStreams; });
  EXPECT_EQ(ok, kStreams);
}

// What the agent's header mapping relies on (RequestMappingOptions::fields_validated): a field
// whose value holds a line break or a NUL, or whose name is not a token, never reaches the
// server's stream (nghttp2 refuses the request, or drops the field).
TEST_F(H2SessionTest, FieldsThatCouldBreakAnHttp1HeadNeverReachTheServer) {
  std::vector<std::pair<std::string, std::string>> seen;
  record_request_fields(seen);
  start_sessions();
  const std::vector<std::pair<std::string, std::string>> bad{{"x-split", "a\r\nx-injected: 1"},
                                                             {"x-lf", "a\nb"},
                                                             {"x-nul", std::string("a\0b", 3)},
                                                             {"x bad name", "1"},
                                                             {"x-bad:name", "1"}};
  int done = 0;
  for (const auto& field : bad) {
    asio::co_spawn(
        io_,
        [&, field]() -> asio::awaitable<void> {
          auto fields = request("GET");
          fields.add(field.first, field.second);
          fields.add("x-fine", "kept");
          auto stream = client_->open_stream(std::move(fields), true).value();
          (void)co_await stream->wait_headers();
          ++done;
        },
        asio::detached);
  }
  run_until([&] { return done == static_cast<int>(bad.size()); });
  for (const auto& [name, value] : seen) {
    EXPECT_EQ(value.find_first_of(std::string_view("\r\n\0", 3)), std::string::npos) << name;
    EXPECT_EQ(name.find_first_of(" :", 1), std::string::npos) << name;
  }
  // The session itself is unharmed: a clean request is served.
  seen.clear();
  bool clean = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        auto fields = request("GET");
        fields.add("x-fine", "kept");
        auto stream = client_->open_stream(std::move(fields), true).value();
        EXPECT_FALSE(co_await stream->wait_headers());
        clean = true;
      },
      asio::detached);
  run_until([&] { return clean; });
  EXPECT_NE(
      std::find(seen.begin(), seen.end(), std::pair<std::string, std::string>{"x-fine", "kept"}),
      seen.end());
}

// A caller that cannot vouch for its names (FieldNames::any_case, the default) gets a stray
// upper-case one lowered: HTTP/2 forbids it, and the peer would refuse the request.
TEST_F(H2SessionTest, AnUpperCaseRequestFieldNameIsLoweredUnlessTheCallerVouches) {
  std::vector<std::pair<std::string, std::string>> seen;
  record_request_fields(seen);
  start_sessions();
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        auto fields = request("GET");
        fields.add("X-Upper", "1");
        auto stream = client_->open_stream(std::move(fields), true).value();
        EXPECT_FALSE(co_await stream->wait_headers());
        auto vouched = request("GET");
        vouched.add("x-lower", "1");
        auto second =
            client_->open_stream(std::move(vouched), true, FieldNames::lower_case).value();
        EXPECT_FALSE(co_await second->wait_headers());
        done = true;
      },
      asio::detached);
  run_until([&] { return done; });
  using Field = std::pair<std::string, std::string>;
  EXPECT_NE(std::find(seen.begin(), seen.end(), Field{"x-upper", "1"}), seen.end());
  EXPECT_NE(std::find(seen.begin(), seen.end(), Field{"x-lower", "1"}), seen.end());
}

TEST_F(H2SessionTest, BufferedTellsWhetherReadWouldWait) {
  handler_ = [](std::shared_ptr<H2Stream> s) -> asio::awaitable<void> {
    s->respond(200, {}, false);
    co_await s->write("early", false);
    co_await pause(50ms);
    co_await s->write("", true);
  };
  start_sessions();
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        auto stream = client_->open_stream(request(), true).value();
        EXPECT_FALSE(co_await stream->wait_headers());
        std::string chunk;
        EXPECT_FALSE(co_await stream->read(chunk));
        EXPECT_EQ(chunk, "early");
        EXPECT_EQ(stream->buffered(), 0u);  // the rest comes 50 ms later
        EXPECT_FALSE(stream->body_complete());
        EXPECT_FALSE(co_await stream->read(chunk));
        EXPECT_TRUE(chunk.empty());
        EXPECT_TRUE(stream->body_complete());
        done = true;
      },
      asio::detached);
  run_until([&] { return done; });
}

// try_read() and try_write() do what read() and write() would when those need not wait, and
// leave the rest to them: a write framed from the caller's buffer, a read with nothing there.
TEST_F(H2SessionTest, TryReadAndTryWriteTakeOnlyWhatNeedsNoWait) {
  bool server_checked = false;
  handler_ = [&](std::shared_ptr<H2Stream> s) -> asio::awaitable<void> {
    s->respond(200, {}, false);
    EXPECT_FALSE(s->try_write("early", false).has_value());  // would be borrowed: write()'s
    EXPECT_EQ(s->send_pending(), 0u);                        // and nothing was taken
    EXPECT_FALSE(co_await s->write("early", false));
    co_await pause(50ms);
    const auto last = s->try_write("last", true);  // a small last write is queued at once
    EXPECT_TRUE(last.has_value() && !*last);
    EXPECT_EQ(s->try_write("more", false), make_error_code(Errc::protocol_error));
    server_checked = true;
  };
  start_sessions();
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        auto stream = client_->open_stream(request(), true).value();
        EXPECT_FALSE(co_await stream->wait_headers());
        std::string body, chunk;
        int waited = 0;
        for (int i = 0; i < 100; ++i) {
          auto got = stream->try_read(chunk);
          if (!got) {
            EXPECT_TRUE(chunk.empty());
            ++waited;
            got = co_await stream->read(chunk);
          }
          EXPECT_FALSE(*got);
          if (chunk.empty()) break;
          body += chunk;
        }
        EXPECT_EQ(body, "earlylast");
        EXPECT_GE(waited, 1);  // the 50 ms gap
        const auto after_end = stream->try_read(chunk);
        EXPECT_TRUE(after_end.has_value() && !*after_end && chunk.empty());
        done = true;
      },
      asio::detached);
  run_until([&] { return done && server_checked; });
}

TEST_F(H2SessionTest, SlowReaderBoundsBufferingThroughFlowControl) {
  H2Options server_options;
  server_options.stream_window = 64 * 1024;
  std::size_t max_chunk = 0;
  handler_ = [&](std::shared_ptr<H2Stream> s) { return echo(std::move(s), &max_chunk, 2ms); };
  start_sessions(server_options, {});
  const std::string piece(16 * 1024, 'x');
  const int pieces = 256;  // 4 MiB
  std::size_t max_pending = 0;
  std::size_t total = 0;
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        auto stream = client_->open_stream(request(), false).value();
        for (int i = 0; i < pieces; ++i) {
          EXPECT_FALSE(co_await stream->write(piece, i + 1 == pieces));
          max_pending = std::max(max_pending, stream->send_pending());
        }
        EXPECT_FALSE(co_await stream->wait_headers());
        std::string chunk;
        while (!(co_await stream->read(chunk)) && !chunk.empty()) total += chunk.size();
        done = true;
      },
      asio::detached);
  run_until([&] { return done; }, 60s);
  EXPECT_EQ(total, piece.size() * pieces);
  EXPECT_LE(max_chunk, 64u * 1024) << "the reader never holds more than the stream window";
  EXPECT_LE(max_pending, H2Options{}.stream_send_buffer + piece.size())
      << "writer blocked at its limit";
}

// The window of a chunk opens again when the reader asks for the next one, not when it takes
// this one: a reader still writing its chunk on (to an app, to a public client) holds one
// window of the body in all, not the chunk plus a second window that arrived behind it.
TEST_F(H2SessionTest, AChunkBeingReadStillHoldsItsWindow) {
  H2Options server_options;
  server_options.stream_window = 64 * 1024;
  std::size_t held = 0;
  std::size_t total = 0;
  handler_ = [&](std::shared_ptr<H2Stream> s) -> asio::awaitable<void> {
    std::string chunk;
    co_await pause(50ms);  // a full window arrives
    EXPECT_FALSE(co_await s->read(chunk));
    co_await pause(100ms);  // long enough for a second window, were it open
    held = chunk.size() + s->buffered();
    total = chunk.size();
    while (!(co_await s->read(chunk)) && !chunk.empty()) total += chunk.size();
    s->respond(204, {}, true);
  };
  start_sessions(server_options, {});
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        auto stream = client_->open_stream(request(), false).value();
        EXPECT_FALSE(co_await stream->write(std::string(256 * 1024, 'x'), true));
        EXPECT_FALSE(co_await stream->wait_headers());
        done = true;
      },
      asio::detached);
  run_until([&] { return done; });
  EXPECT_EQ(total, 256u * 1024);
  EXPECT_GT(held, 32u * 1024);
  EXPECT_LE(held, 64u * 1024);
}

// Body bytes arrive in buffers of a few sizes (a power of two each, with the string's
// terminator), which every stream then reuses: buffers sized to whatever DATA had arrived left
// the allocator a page per size (bench/README.md, session 19).
TEST_F(H2SessionTest, BodyChunksComeInPowerOfTwoBuffers) {
  std::size_t total = 0;
  std::vector<std::size_t> capacities;
  handler_ = [&](std::shared_ptr<H2Stream> s) -> asio::awaitable<void> {
    std::string chunk;
    co_await pause(20ms);  // several DATA frames arrive into one buffer
    while (!(co_await s->read(chunk)) && !chunk.empty()) {
      total += chunk.size();
      capacities.push_back(chunk.capacity());
    }
    s->respond(204, {}, true);
  };
  start_sessions();
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        auto stream = client_->open_stream(request(), false).value();
        for (int i = 0; i < 8; ++i) {
          EXPECT_FALSE(co_await stream->write(std::string(12345, 'x'), i == 7));
        }
        EXPECT_FALSE(co_await stream->wait_headers());
        done = true;
      },
      asio::detached);
  run_until([&] { return done; });
  EXPECT_EQ(total, 8u * 12345);
  ASSERT_FALSE(capacities.empty());
  for (auto capacity : capacities) EXPECT_TRUE(std::has_single_bit(capacity + 1)) << capacity;
}

TEST_F(H2SessionTest, ResetReachesThePeer) {
  handler_ = [](std::shared_ptr<H2Stream> s) -> asio::awaitable<void> {
    s->reset();
    co_return;
  };
  start_sessions();
  error_code result;
  bool done = false;
  spawn_get_waiting_for_headers(result, done);
  run_until([&] { return done; });
  EXPECT_EQ(result, make_error_code(Errc::stream_reset));
}

// open_stream()'s fields go out uncopied (NO_COPY) from the stream's own Headers: the caller's
// may be gone before the HEADERS frame is written, so may a caller that gave up at once (reset,
// last owner gone), and a stray upper-case name still goes out in lower case.
TEST_F(H2SessionTest, RequestFieldsOutliveTheCallerAndGoOutInLowerCase) {
  std::vector<core::Headers> seen;
  handler_ = [&seen](std::shared_ptr<H2Stream> s) -> asio::awaitable<void> {
    seen.push_back(s->headers());
    s->respond(204, {}, true);
    co_return;
  };
  start_sessions();
  {
    auto abandoned = client_->open_stream(request(), false).value();
    abandoned->reset();
  }
  const std::string long_value(300, 'v');
  error_code result;
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        std::shared_ptr<H2Stream> stream;
        {
          auto headers = request("GET");
          headers.add("X-Upper-Case", long_value);
          stream = client_->open_stream(std::move(headers), true).value();
        }
        result = co_await stream->wait_headers();
        done = true;
      },
      asio::detached);
  run_until([&] { return done; });
  EXPECT_FALSE(result) << result.message();
  ASSERT_EQ(seen.size(), 1U);
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& f : seen[0]) fields.emplace_back(f.name, f.value);
  EXPECT_EQ(fields,
            (std::vector<std::pair<std::string, std::string>>{{":method", "GET"},
                                                              {":scheme", "http"},
                                                              {":authority", "t.localhost"},
                                                              {":path", "/hook"},
                                                              {"x-upper-case", long_value}}));
}

TEST_F(H2SessionTest, ClosedSessionFailsOpenStreamsAtOnce) {
  handler_ = [](std::shared_ptr<H2Stream>) -> asio::awaitable<void> {
    co_return;
  };  // never answers
  start_sessions();
  error_code result;
  bool done = false;
  spawn_get_waiting_for_headers(result, done);
  run_until([&] { return server_->active_streams() == 1; });
  server_->close();
  run_until([&] { return done && client_done_ && server_done_; });
  EXPECT_TRUE(result);
  EXPECT_FALSE(client_->open_stream(request("GET"), true).has_value());
}

TEST_F(H2SessionTest, SilentPeerIsDetectedByPing) {
  auto [server_stream, client_stream] = connect_tls();  // the server side never speaks HTTP/2
  H2Options options;
  options.ping_interval = 50ms;
  client_ = std::make_shared<H2Session>(std::move(client_stream), H2Session::Role::client, options);
  asio::co_spawn(io_, client_->run(), [this](std::exception_ptr, error_code ec) {
    client_result_ = ec;
    client_done_ = true;
  });
  auto start = std::chrono::steady_clock::now();
  run_until([&] { return client_done_; }, 5s);
  EXPECT_EQ(client_result_, make_error_code(Errc::ping_timeout));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST_F(H2SessionTest, LivePeerSurvivesIdlePeriodsThanksToPing) {
  H2Options options;
  options.ping_interval = 20ms;
  handler_ = [](std::shared_ptr<H2Stream> s) { return echo(std::move(s), nullptr, 0ms); };
  start_sessions(options, options);
  io_.restart();
  io_.run_for(300ms);  // fifteen intervals with no traffic but PINGs
  EXPECT_FALSE(client_done_);
  EXPECT_FALSE(server_done_);
  EXPECT_TRUE(client_->is_open());
}

TEST_F(H2SessionTest, GoawayLetsStreamsInFlightFinish) {
  handler_ = [](std::shared_ptr<H2Stream> s) { return echo(std::move(s), nullptr, 0ms); };
  start_sessions();
  std::string received;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        auto stream = client_->open_stream(request(), false).value();
        co_await stream->write("first", false);
        client_->shutdown();  // GOAWAY while the request is still open
        EXPECT_FALSE(client_->open_stream(request(), true).has_value())
            << "no new streams after GOAWAY";
        co_await stream->write(" and last", true);
        if (co_await stream->wait_headers()) co_return;
        std::string chunk;
        while (!(co_await stream->read(chunk)) && !chunk.empty()) received += chunk;
      },
      asio::detached);
  run_until([&] { return client_done_ && server_done_; });
  EXPECT_EQ(received, "first and last");
  EXPECT_FALSE(client_result_) << client_result_.message();
}

// A request whose caller went away: headers, one body byte, then RST_STREAM (what the edge sends
// for a public caller that aborted its upload). `done` counts the finished ones.
void spawn_aborted_request(asio::io_context& io, const std::shared_ptr<H2Session>& client,
                           int& done) {
  asio::co_spawn(
      io,
      [client, &done]() -> asio::awaitable<void> {
        auto opened = client->open_stream({{":method", "POST"},
                                           {":scheme", "http"},
                                           {":authority", "t.localhost"},
                                           {":path", "/abort"}},
                                          false);
        if (opened) {
          auto stream = *opened;
          co_await stream->write("x", false);
          stream->reset();
          std::string ignored;
          while (!stream->closed()) {
            if (co_await stream->read(ignored)) break;
          }
        }
        ++done;
      },
      asio::detached);
}

TEST_F(H2SessionTest, GoawayFromTheResetLimiterEndsBothSidesViaTheHandlers) {
  // The server's rapid-reset limiter trips (a tiny one here; nghttp2's default is 1,000 then
  // 33/s): it sends GOAWAY on its own. Both sides must see it, take no new streams, and end
  // the session once the owner has ended its long-lived stream.
  handler_ = [](std::shared_ptr<H2Stream> s) { return echo(std::move(s), nullptr, 0ms); };
  H2Options server_options;
  server_options.reset_burst = 5;
  server_options.reset_rate = 1;
  start_sessions(server_options, {});
  std::shared_ptr<H2Stream> control = client_->open_stream(request(), false).value();
  std::optional<H2Goaway> client_saw, server_saw;
  client_->set_goaway_handler([&](const H2Goaway& g) {
    client_saw = g;
    control->reset(0);  // what the edge's AgentSession does with its control stream
  });
  server_->set_goaway_handler([&](const H2Goaway& g) { server_saw = g; });
  int aborted = 0;
  for (int i = 0; i < 20; ++i) spawn_aborted_request(io_, client_, aborted);
  run_until([&] { return client_done_ && server_done_; });
  ASSERT_TRUE(server_saw.has_value());
  EXPECT_TRUE(server_saw->sent);
  EXPECT_EQ(server_saw->error_code, 2u) << server_saw->error_name();  // INTERNAL_ERROR
  ASSERT_TRUE(client_saw.has_value());
  EXPECT_FALSE(client_saw->sent);
  EXPECT_EQ(client_saw->error_code, 2u);
  EXPECT_EQ(client_result_, make_error_code(Errc::goaway)) << client_result_.message();
  EXPECT_EQ(server_result_, make_error_code(Errc::goaway)) << server_result_.message();
  EXPECT_FALSE(client_->open_stream(request("GET"), true).has_value());
}

TEST_F(H2SessionTest, GoawayEndsTheSessionAtTheDrainDeadlineWithoutAnOwner) {
  // Nobody ends the long-lived stream: the drain deadline still closes both sides, instead of
  // a session that answers PINGs and refuses every request forever.
  handler_ = [](std::shared_ptr<H2Stream> s) { return echo(std::move(s), nullptr, 0ms); };
  H2Options server_options;
  server_options.reset_burst = 5;
  server_options.reset_rate = 1;
  server_options.goaway_drain = 200ms;
  H2Options client_options;
  client_options.goaway_drain = 200ms;
  start_sessions(server_options, client_options);
  auto control = client_->open_stream(request(), false).value();
  int aborted = 0;
  for (int i = 0; i < 20; ++i) spawn_aborted_request(io_, client_, aborted);
  run_until([&] { return client_done_ && server_done_; }, 5s);
  EXPECT_TRUE(control->closed());
  ASSERT_TRUE(client_->goaway().has_value());
  EXPECT_FALSE(client_->goaway()->sent);
  ASSERT_TRUE(server_->goaway().has_value());
  EXPECT_TRUE(server_->goaway()->sent);
  EXPECT_EQ(client_result_, make_error_code(Errc::goaway)) << client_result_.message();
}

TEST_F(H2SessionTest, RaisedResetLimitKeepsTheSessionAndFreesEveryStream) {
  // The agent lifts the limiter for its edge: thousands of aborted requests leave the session
  // open, every stream freed on both sides (the 1,024-stream budget does not leak), and the
  // next request is answered.
  handler_ = [](std::shared_ptr<H2Stream> s) { return echo(std::move(s), nullptr, 0ms); };
  H2Options server_options;
  server_options.reset_burst = 1'000'000'000;
  server_options.reset_rate = 1'000'000'000;
  start_sessions(server_options, {});
  int aborted = 0;
  constexpr int kAborted = 3000;  // three times nghttp2's default burst
  for (int batch = 0; batch < kAborted / 500; ++batch) {
    for (int i = 0; i < 500; ++i) spawn_aborted_request(io_, client_, aborted);
    run_until([&] { return aborted == (batch + 1) * 500; });
  }
  run_until([&] { return client_->active_streams() == 0 && server_->active_streams() == 0; });
  EXPECT_FALSE(client_->goaway().has_value());
  EXPECT_FALSE(server_->goaway().has_value());
  EXPECT_TRUE(client_->is_open());
  std::string received;
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        auto stream = client_->open_stream(request(), false).value();
        co_await stream->write("still here", true);
        if (!co_await stream->wait_headers()) {
          std::string chunk;
          while (!(co_await stream->read(chunk)) && !chunk.empty()) received += chunk;
        }
        done = true;
      },
      asio::detached);
  run_until([&] { return done; });
  EXPECT_EQ(received, "still here");
}

// What the server handler of AReusedStreamStartsLikeANewOne saw of each request's stream.
struct ServedStream {
  const H2Stream* address = nullptr;
  std::size_t fields = 0;
  std::size_t buffered = 0;
  bool closed = false;
};

// "/first" is answered 200 with a header and a body the client leaves unread; anything else
// 201 with neither.
asio::awaitable<void> answer_by_path(std::shared_ptr<H2Stream> stream,
                                     std::vector<ServedStream>* served) {
  served->push_back({stream.get(), stream->headers().size(), stream->buffered(), stream->closed()});
  if (stream->headers().get(":path") == "/first") {
    stream->respond(200, {{"x-first", "1"}}, false);
    co_await stream->write("left unread", true);
  } else {
    stream->respond(201, {}, true);
  }
}

// A finished stream goes back to its session and comes out again for the next request, on
// both sides: it must then be indistinguishable from a new one (no headers, status, body
// bytes or close reason of the request before).
TEST_F(H2SessionTest, AReusedStreamStartsLikeANewOne) {
  std::vector<ServedStream> served;
  handler_ = [&served](std::shared_ptr<H2Stream> s) {
    return answer_by_path(std::move(s), &served);
  };
  start_sessions();
  auto get = [](std::string path) {
    auto headers = request("GET");
    headers.set(":path", std::move(path));
    return headers;
  };
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        auto first = client_->open_stream(get("/first"), true).value();
        EXPECT_FALSE(co_await first->wait_headers());
        asio::steady_timer timer(io_);
        for (int i = 0; i < 400 && !first->closed(); ++i) {  // the body arrives, unread
          timer.expires_after(5ms);
          co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        EXPECT_TRUE(first->closed());
        EXPECT_GT(first->buffered(), 0U);
        EXPECT_EQ(first->status(), 200);
        const H2Stream* first_address = first.get();
        const auto first_id = first->id();
        first.reset();

        auto second = client_->open_stream(get("/second"), true).value();
        EXPECT_EQ(second.get(), first_address) << "the finished stream was not reused";
        EXPECT_GT(second->id(), first_id);
        EXPECT_EQ(second->status(), 0);
        EXPECT_TRUE(second->headers().empty());
        EXPECT_EQ(second->buffered(), 0U);
        EXPECT_EQ(second->send_pending(), 0U);
        EXPECT_FALSE(second->body_complete());
        EXPECT_FALSE(second->closed());
        EXPECT_FALSE(second->close_reason());
        EXPECT_FALSE(co_await second->wait_headers());
        EXPECT_EQ(second->status(), 201);
        EXPECT_FALSE(second->headers().get("x-first").has_value());
        std::string chunk = "stale";
        EXPECT_FALSE(co_await second->read(chunk));
        EXPECT_TRUE(chunk.empty());
        EXPECT_TRUE(second->body_complete());
        done = true;
      },
      asio::detached);
  run_until([&] { return done; });
  ASSERT_EQ(served.size(), 2U);
  EXPECT_EQ(served[1].address, served[0].address) << "the server's stream was not reused";
  EXPECT_EQ(served[1].fields, served[0].fields);  // the request's own fields, no more
  EXPECT_EQ(served[1].buffered, 0U);
  EXPECT_FALSE(served[1].closed);
  EXPECT_TRUE(client_->is_open());
  EXPECT_TRUE(server_->is_open());
}

}  // namespace
}  // namespace relay::net
