// The public HTTP/1 request head: Beast's parser with the edge's limits, then everything the edge
// derives from a parsed head (target check, Host routing, the HTTP/2 header block).
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "edge/host_router.hpp"
#include "edge/request_head.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace http = boost::beast::http;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(64 * 1024);
  parser.eager(false);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!parser.is_header_done()) return 0;
  const auto& request = parser.get();
  static const relay::edge::HostRouter router("relay.example.com");
  (void)router.route(request[http::field::host]);
  if (!relay::edge::request_target_error(request).empty()) return 0;
  auto headers = relay::edge::make_stream_headers(request, {"https", "t", "id", "127.0.0.1:1"});
  for (const auto& f : headers) {
    // HTTP/2 forbids upper-case names: a violation here would make the agent reset the stream.
    for (char c : f.name) {
      if (c >= 'A' && c <= 'Z') __builtin_trap();
    }
  }
  return 0;
}
