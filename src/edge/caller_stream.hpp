#pragma once

#include <chrono>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>

namespace relay::edge {

// Writing to a public caller, as StreamProxy (live) and BufferedAccept (queued) both do, over
// plain TCP or TLS (PublicConnection's streams).

// Writes `bytes` within `idle_timeout`; false when the caller went away or stalled.
template <class Stream>
boost::asio::awaitable<bool> write_to_caller(Stream& stream, std::string_view bytes,
                                             std::chrono::steady_clock::duration idle_timeout) {
  boost::beast::get_lowest_layer(stream).expires_after(idle_timeout);
  auto [ec, n] = co_await boost::asio::async_write(
      stream, boost::asio::buffer(bytes), boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return !ec;
}

// Ends the edge's sending side of a connection whose caller's upload is still unread, so the
// caller reads the answer before its unread bytes meet the close (which would reset it away).
template <class Stream>
void stop_sending(Stream& stream) {
  boost::system::error_code ignored;
  boost::beast::get_lowest_layer(stream).socket().shutdown(
      boost::asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace relay::edge
