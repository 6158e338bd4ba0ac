// The public HTTP/1 request head: Beast's parser with the edge's limits, then everything the edge
// derives from a parsed head (the smuggling guard, target check, Host routing, the HTTP/2 header
// block). The same bytes are also read as an app's response head, as the agent does, through the
// framing check both hops share.
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "edge/host_router.hpp"
#include "edge/request_head.hpp"
#include "relay/net/http1_framing.hpp"

namespace {

namespace http = boost::beast::http;

void response_side(const std::uint8_t* data, std::size_t size) {
  http::response_parser<http::empty_body> parser;
  parser.header_limit(64 * 1024);
  parser.eager(false);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!parser.is_header_done()) return;
  relay::net::Http1FramingCheck check;
  for (const auto& f : parser.get()) check.add(f.name_string(), f.value());
  const auto framing = check.result(false, parser.get().version());
  if (!framing.ok() && framing.reason().empty()) __builtin_trap();  // every refusal says why
  // The agent refuses a response whose framing Beast reads differently (agrees_with).
  const auto length = parser.content_length();
  (void)framing.agrees_with(parser.chunked(), length ? std::optional(*length) : std::nullopt);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  response_side(data, size);
  http::request_parser<http::empty_body> parser;
  parser.header_limit(64 * 1024);
  parser.eager(false);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!parser.is_header_done()) return 0;
  const auto& request = parser.get();
  const auto rejection =
      relay::edge::check_request_head(request, parser.chunked(), parser.content_length());
  if (rejection.status != 0) {
    if (rejection.message.empty()) __builtin_trap();
    return 0;
  }
  static const relay::edge::HostRouter router("relay.example.com");
  (void)router.route(relay::edge::request_authority(request));
  if (!relay::edge::request_target_error(request).empty()) return 0;
  auto headers = relay::edge::make_stream_headers(request, {"https", "t", "id", "127.0.0.1:1"});
  if (headers.get_all("content-length").size() > 1) __builtin_trap();  // HTTP/2 takes one
  for (const auto& f : headers) {
    // HTTP/2 forbids upper-case names: a violation here would make the agent reset the stream.
    for (char c : f.name) {
      if (c >= 'A' && c <= 'Z') __builtin_trap();
    }
  }
  return 0;
}
