#include "inspect/event_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "inspect/capture_json.hpp"

namespace relay::inspect::detail {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxQueued = 2000;
// Proxies and browsers drop idle connections; a comment line keeps this one open.
constexpr auto kHeartbeat = std::chrono::seconds{15};
constexpr auto kWriteTimeout = std::chrono::seconds{30};

std::string render(const CaptureEvent& event) {
  if (event.kind == CaptureEvent::Kind::cleared) return "event: clear\ndata: {}\n\n";
  const auto data =
      to_api_json(*event.capture).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return "event: request\ndata: " + data + "\n\n";
}

}  // namespace

EventStream::EventStream(boost::beast::tcp_stream& stream, CaptureStore& store)
    : stream_(stream), store_(store), wake_(stream.get_executor()) {}

void EventStream::close() {
  closed_ = true;
  wake_.notify();
}

asio::awaitable<void> EventStream::run() {
  using namespace asio::experimental::awaitable_operators;
  auto subscription = store_.subscribe([this](const CaptureEvent& event) {
    if (queue_.size() >= kMaxQueued) {
      overflow_ = true;
    } else {
      queue_.push_back(event);
    }
    wake_.notify();
  });

  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Connection: close\r\nX-Accel-Buffering: no\r\n\r\nretry: 2000\n\n";
  asio::steady_timer heartbeat{stream_.get_executor()};
  while (!closed_ && !overflow_) {
    while (!queue_.empty()) {
      out += render(queue_.front());
      queue_.pop_front();
    }
    if (!out.empty()) {
      stream_.expires_after(kWriteTimeout);
      auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(out),
                                                asio::as_tuple(asio::use_awaitable));
      stream_.expires_never();
      if (ec) co_return;  // the browser went away
      out.clear();
      continue;  // events may have arrived during the write
    }
    heartbeat.expires_after(kHeartbeat);
    const auto woke =
        co_await (wake_.wait() || heartbeat.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (woke.index() == 1) out = ": ping\n\n";
  }
}

}  // namespace relay::inspect::detail
