#pragma once

#include <deque>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "relay/inspect/capture_store.hpp"
#include "relay/net/async_event.hpp"

namespace relay::inspect::detail {

// GET /api/requests/http/stream: server-sent events, one per capture added or updated
// (`event: request`, data = the API JSON of GET /api/requests/http/{id}) and `event: clear`.
// The store's listener only queues the event (it runs inside the pipeline's upsert call); this
// coroutine serialises and writes. A client too slow to keep up is disconnected; EventSource
// reconnects by itself and the UI reloads the list.
class EventStream {
 public:
  EventStream(boost::beast::tcp_stream& stream, CaptureStore& store);
  boost::asio::awaitable<void> run();
  void close();  // from stop(): ends run()

 private:
  boost::beast::tcp_stream& stream_;
  CaptureStore& store_;
  std::deque<CaptureEvent> queue_;
  net::AsyncEvent wake_;
  bool closed_ = false;
  bool overflow_ = false;
};

}  // namespace relay::inspect::detail
