#include "cli/webhook_http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <stdexcept>

#include "relay/net/localhost_names.hpp"

namespace relay::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct Target {
  bool tls = false;
  std::string host, port, path;
};

Target parse_url(const std::string& url) {
  Target t;
  std::string_view rest{url};
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    t.tls = true;
    rest.remove_prefix(8);
  } else {
    throw std::runtime_error("URL '" + url + "' must start with http:// or https://");
  }
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  t.path = slash == std::string_view::npos ? "/" : std::string{rest.substr(slash)};
  if (authority.starts_with('[')) {  // [::1]:8080
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw std::runtime_error("bad IPv6 host in '" + url + "'");
    t.host = std::string{authority.substr(1, close - 1)};
    const auto after = authority.substr(close + 1);
    t.port = after.starts_with(':') ? std::string{after.substr(1)} : "";
  } else {
    const auto colon = authority.rfind(':');
    t.host = std::string{authority.substr(0, colon)};
    t.port = colon == std::string_view::npos ? "" : std::string{authority.substr(colon + 1)};
  }
  if (t.host.empty()) throw std::runtime_error("URL '" + url + "' has no host");
  if (t.port.empty()) t.port = t.tls ? "443" : "80";
  return t;
}

template <class Stream>
SimpleResponse exchange(Stream& stream, http::request<http::string_body>& req) {
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(stream, buffer, parser);
  auto& res = parser.get();
  SimpleResponse out;
  out.status = static_cast<int>(res.result_int());
  out.reason = std::string{res.reason()};
  for (const auto& field : res) {
    out.headers.add(std::string{field.name_string()}, std::string{field.value()});
  }
  out.body = std::move(res.body());
  return out;
}

}  // namespace

SimpleResponse send_http_request(const std::string& method, const std::string& url,
                                 const core::Headers& headers, const std::string& body,
                                 bool insecure, std::chrono::seconds timeout) {
  const auto target = parse_url(url);
  asio::io_context io;
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target.path);
  req.version(11);
  const bool default_port = target.port == (target.tls ? "443" : "80");
  const auto host_value =
      (target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host) +
      (default_port ? "" : ":" + target.port);
  req.set(http::field::host, host_value);
  req.set(http::field::user_agent, "relay-webhook-send");
  for (const auto& f : headers) req.set(f.name, f.value);
  req.body() = body;
  req.prepare_payload();
  req.keep_alive(false);

  try {
    asio::ip::tcp::resolver resolver{io};
    const auto endpoints = net::resolve_blocking(resolver, target.host, target.port);
    if (!target.tls) {
      beast::tcp_stream stream{io};
      stream.expires_after(timeout);
      stream.connect(endpoints);
      return exchange(stream, req);
    }
    asio::ssl::context ctx{asio::ssl::context::tls_client};
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(insecure ? asio::ssl::verify_none : asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream{io, ctx};
    if (!insecure) stream.set_verify_callback(asio::ssl::host_name_verification(target.host));
    SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str());
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(asio::ssl::stream_base::client);
    return exchange(stream, req);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("request to " + url + " failed: " + e.code().message() +
                             (e.code() == beast::error::timeout ? " (no answer in time)" : ""));
  }
}

}  // namespace relay::cli
