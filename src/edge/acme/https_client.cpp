#include "edge/acme/https_client.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "edge/acme/acme_messages.hpp"
#include "relay/net/localhost_names.hpp"

namespace relay::edge::acme {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr std::size_t kMaxAnswer = 1024 * 1024;

// SNI for names, and the certificate checked against the name or the IP literal.
void prepare(asio::ssl::stream<beast::tcp_stream>& stream, const std::string& host) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  SSL* ssl = stream.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (ec) {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(param, address.to_string().c_str());
  }
  stream.set_verify_mode(asio::ssl::verify_peer);
}

}  // namespace

HttpsClient::HttpsClient(asio::any_io_executor ex, net::TlsContextPtr tls,
                         std::chrono::seconds timeout)
    : executor_(std::move(ex)), tls_(std::move(tls)), timeout_(timeout) {}

asio::awaitable<HttpsResponse> HttpsClient::request(http::verb method, std::string url,
                                                    std::string body) {
  auto parsed = parse_https_url(url);
  if (!parsed) throw std::runtime_error(fmt::format("the ACME URL '{}' is not https://", url));
  auto fail = [&](std::string_view what, const boost::system::error_code& ec) {
    return std::runtime_error(
        fmt::format("ACME request to {} failed: {} ({})", url, what, ec.message()));
  };

  std::vector<tcp::endpoint> endpoints;
  if (net::is_localhost_name(parsed->host)) {
    endpoints = net::loopback_endpoints(static_cast<unsigned short>(std::stoi(parsed->port)));
  } else {
    tcp::resolver resolver(executor_);
    auto [ec, results] = co_await resolver.async_resolve(parsed->host, parsed->port,
                                                         asio::as_tuple(asio::use_awaitable));
    if (ec) throw fail("cannot resolve the host", ec);
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }

  asio::ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(executor_), *tls_);
  prepare(stream, parsed->host);
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(timeout_);
  if (auto [ec, ep] = co_await lowest.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
      ec) {
    throw fail("cannot connect", ec);
  }
  if (auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::client,
                                                  asio::as_tuple(asio::use_awaitable));
      ec) {
    throw fail("TLS handshake failed (is --acme-ca right?)", ec);
  }

  http::request<http::string_body> req(method, parsed->target, 11);
  // The port belongs in Host when it is not 443: CAs build their URLs from it.
  const bool v6 = parsed->host.find(':') != std::string::npos;
  std::string host_header = v6 ? "[" + parsed->host + "]" : parsed->host;
  if (parsed->port != "443") host_header += ":" + parsed->port;
  req.set(http::field::host, host_header);
  req.set(http::field::user_agent, "relay-edge-acme");
  if (method == http::verb::post) {
    req.set(http::field::content_type, "application/jose+json");
    req.body() = std::move(body);
    req.prepare_payload();
  }
  if (auto [ec, n] = co_await http::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
      ec) {
    throw fail("cannot send the request", ec);
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswer);
  parser.skip(method == http::verb::head);  // a HEAD answer's Content-Length has no body
  if (auto [ec, n] =
          co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      ec) {
    throw fail("no valid answer", ec);
  }
  auto& res = parser.get();
  HttpsResponse out;
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  out.location = std::string(res[http::field::location]);
  out.replay_nonce = std::string(res["Replay-Nonce"]);
  // No close_notify exchange: the connection is not reused and the answer is complete.
  boost::system::error_code ignored;
  lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return out;
}

}  // namespace relay::edge::acme
