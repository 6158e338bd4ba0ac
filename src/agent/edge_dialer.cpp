#include "agent/edge_dialer.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "relay/agent/agent_error.hpp"
#include "relay/core/log.hpp"
#include "relay/net/deadline.hpp"
#include "relay/net/socket_options.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::agent {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// A deadline's action: the pending connect or handshake then fails, and expired() says why.
void close_quietly(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.close(ignored);
}
}  // namespace

core::Fallible<EdgeEndpoint> parse_edge_endpoint(std::string_view text) {
  EdgeEndpoint ep;
  if (auto sep = text.find("://"); sep != std::string_view::npos) text.remove_prefix(sep + 3);
  if (!text.empty() && text.back() == '/') text.remove_suffix(1);
  if (text.empty()) {
    return core::Failure{
        .message =
            "the edge address is empty: use HOST:PORT of the edge's agent listener, e.g. "
            "relay.example.com:4443"};
  }
  std::string_view port;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      return core::Failure{.message =
                               "edge address '" + std::string(text) + "' has an unclosed '['"};
    }
    ep.host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() == ':') port = rest.substr(1);
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      return core::Failure{.message = "edge address '" + std::string(text) +
                                      "': put an IPv6 address in brackets, [::1]:4443"};
    }
    ep.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
  }
  if (port.empty()) port = "4443";
  if (ep.host.empty() || port.find_first_not_of("0123456789") != std::string_view::npos ||
      port.size() > 5 || std::stoul(std::string(port)) == 0 ||
      std::stoul(std::string(port)) > 65535) {
    return core::Failure{.message = "edge address '" + std::string(text) +
                                    "' is not HOST:PORT (e.g. relay.example.com:4443)"};
  }
  ep.port = std::string(port);
  return ep;
}

EdgeDialer::EdgeDialer(asio::any_io_executor ex, const AgentOptions& options, std::string_view edge,
                       std::size_t address_index)
    : executor_(std::move(ex)),
      address_index_(address_index),
      verify_host_(!options.edge_insecure) {
  auto ep = parse_edge_endpoint(edge);
  if (!ep) throw std::runtime_error(ep.error().message);  // start-up configuration: ends it
  endpoint_ = std::move(*ep);
  net::TlsClientOptions tls;
  tls.ca_file = options.edge_ca_file;
  tls.pinned_pem = options.edge_pinned_pem;
  tls.insecure = options.edge_insecure;
  tls.alpn = {std::string(net::protocol::kAlpn)};
  context_ = net::make_client_tls_context(tls);
  if (options.edge_insecure && address_index == 0 && edge == options.edges.front()) {
    core::logger("relay.agent")
        ->warn(
            "--edge-insecure: the edge's TLS certificate is NOT verified; anyone on the path "
            "can read and change the tunnel's traffic. Use this for tests only.");
  }
}

void throw_exception_from_error(const DialFailure& failure, const boost::source_location&) {
  throw std::runtime_error(failure.message);
}

asio::awaitable<DialResult<net::TlsStream>> EdgeDialer::dial() {
  const std::string where = endpoint_.host + ":" + endpoint_.port;
  tcp::resolver resolver(executor_);
  auto [rec, results] = co_await resolver.async_resolve(endpoint_.host, endpoint_.port, kUseTuple);
  if (rec) {
    co_return DialFailure{rec, "cannot resolve " + endpoint_.host + ": " + rec.message(), false};
  }
  std::vector<tcp::endpoint> addresses;
  for (const auto& r : results) addresses.push_back(r.endpoint());
  // This link's address first, then the others (an address that is down is not a dead end).
  if (!addresses.empty()) {
    std::rotate(addresses.begin(),
                addresses.begin() + static_cast<std::ptrdiff_t>(address_index_ % addresses.size()),
                addresses.end());
  }
  tcp::socket socket(executor_);
  core::error_code last = asio::error::host_not_found;
  for (const auto& address : addresses) {
    socket = tcp::socket(executor_);
    net::Deadline deadline(executor_);
    deadline.arm(timeout_, [&socket] { close_quietly(socket); });
    auto [ec] = co_await socket.async_connect(address, kUseTuple);
    if (!ec) {
      last = {};
      auto a = address.address();
      connected_ = (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" +
                   std::to_string(address.port());
      break;
    }
    last = deadline.expired() ? core::error_code(asio::error::timed_out) : ec;
  }
  if (last) {
    co_return DialFailure{last, "cannot connect to " + where + ": " + last.message(), false};
  }
  net::tune_socket(socket);

  net::TlsStream stream(std::move(socket), *context_);
  net::prepare_client_stream(stream, endpoint_.host, verify_host_);
  net::Deadline deadline(executor_);
  deadline.arm(timeout_, [&stream] { close_quietly(stream.next_layer()); });
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kUseTuple);
  if (hec) {
    DialFailure failure;
    long verify = SSL_get_verify_result(stream.native_handle());
    if (verify != X509_V_OK) {
      // A certificate does not fix itself between retries: give up and say what to do.
      failure = {AgentErrc::certificate_refused, net::describe_tls_error(hec, stream), true};
    } else if (deadline.expired()) {
      failure = {asio::error::timed_out, "TLS handshake with " + where + " timed out", false};
    } else {
      failure = {hec, "TLS handshake with " + where + " failed: " + hec.message(), false};
    }
    co_return failure;
  }
  co_return std::move(stream);
}

}  // namespace relay::agent
