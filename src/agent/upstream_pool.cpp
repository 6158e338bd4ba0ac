#include "agent/upstream_pool.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "relay/net/localhost_names.hpp"
#include "relay/net/socket_options.hpp"

namespace relay::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

namespace {

constexpr auto kMaxIdleAge = std::chrono::seconds{20};
constexpr auto kTrustedIdle = std::chrono::milliseconds{500};
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

UpstreamPool::UpstreamPool(asio::any_io_executor ex, UpstreamAddress address, AgentLimits limits,
                           bool tls_verify)
    : executor_(std::move(ex)),
      address_(std::move(address)),
      limits_(limits),
      tls_verify_(tls_verify) {
  if (address_.tls) {
    net::TlsClientOptions options;
    options.insecure = !tls_verify;  // dev servers use self-signed certificates
    options.alpn = {"http/1.1"};
    tls_context_ = net::make_client_tls_context(options);
  }
}

bool UpstreamPool::still_open(UpstreamConnection& c) {
  // An idle keep-alive connection must have nothing to read: 0 is the app's FIN, data is a
  // TLS close_notify or garbage. Either way it cannot carry the next request.
  char byte;
  auto fd = c.lowest().socket().native_handle();
  auto n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take_idle(bool can_retry) {
  auto now = std::chrono::steady_clock::now();
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());  // most recently used: the likeliest to be open
    idle_.pop_back();
    const auto idle = now - c->idle_since;
    // The peek is a syscall per request; a connection idle for less than kTrustedIdle is
    // taken on trust when the caller can retry on a fresh one (servers keep idle connections
    // for seconds), and checked otherwise.
    if (idle < kMaxIdleAge && ((can_retry && idle < kTrustedIdle) || still_open(*c))) {
      c->reused = true;
      return c;
    }
  }
  return nullptr;
}

asio::awaitable<core::Fallible<std::unique_ptr<UpstreamConnection>>> UpstreamPool::connect() {
  std::vector<tcp::endpoint> endpoints;
  auto add = [&](const tcp::endpoint& ep) {
    if (std::find(endpoints.begin(), endpoints.end(), ep) == endpoints.end())
      endpoints.push_back(ep);
  };
  if (preferred_) add(*preferred_);
  if (net::is_localhost_name(address_.host)) {
    // Both loopbacks, whatever /etc/hosts and AI_ADDRCONFIG say: the app may listen on either.
    for (const auto& ep : net::loopback_endpoints(address_.port)) add(ep);
  } else {
    tcp::resolver resolver(executor_);
    // Named, not a temporary: GCC 12 may destroy temporaries of a co_await expression twice.
    const std::string port = std::to_string(address_.port);
    auto [rec, results] =
        co_await resolver.async_resolve(address_.host, port, tcp::resolver::flags{}, kUseTuple);
    if (rec) {
      co_return core::Failure{
          .code = rec, .message = "cannot resolve '" + address_.host + "': " + rec.message()};
    }
    for (const auto& r : results) add(r.endpoint());
  }

  core::error_code last;
  std::string tried;
  bool all_refused = true;
  for (const auto& ep : endpoints) {
    auto stream = std::make_unique<beast::tcp_stream>(executor_);
    stream->expires_after(limits_.upstream_connect_timeout);
    auto [ec] = co_await stream->async_connect(ep, kUseTuple);
    if (!tried.empty()) tried += ", ";
    tried += ep.address().is_v6()
                 ? "[" + ep.address().to_string() + "]:" + std::to_string(ep.port())
                 : ep.address().to_string() + ":" + std::to_string(ep.port());
    if (ec) {
      if (ec == beast::error::timeout) ec = asio::error::timed_out;
      if (ec != asio::error::connection_refused) all_refused = false;
      last = ec;
      continue;
    }
    preferred_ = ep;
    net::tune_socket(stream->socket());
    auto c = std::make_unique<UpstreamConnection>();
    if (!address_.tls) {
      c->tcp = std::make_unique<net::TimedSocket>(stream->release_socket());
      co_return std::move(c);
    }
    c->tls = std::make_unique<UpstreamConnection::Tls>(net::TimedSocket(stream->release_socket()),
                                                       *tls_context_);
    boost::system::error_code aec;
    asio::ip::make_address(address_.host, aec);
    if (aec) SSL_set_tlsext_host_name(c->tls->native_handle(), address_.host.c_str());
    if (tls_verify_) {
      c->tls->set_verify_callback(asio::ssl::host_name_verification(address_.host));
    }
    c->tls->next_layer().expires_after(limits_.upstream_connect_timeout);
    auto [hec] = co_await c->tls->async_handshake(asio::ssl::stream_base::client, kUseTuple);
    if (hec) {
      co_return core::Failure{
          .code = hec,
          .message = "TLS handshake with " + address_.url() + " failed: " + hec.message() +
                     " (is the app serving HTTPS on that port? use http:// otherwise)"};
    }
    c->tls->next_layer().expires_never();
    co_return std::move(c);
  }
  if (all_refused) last = asio::error::connection_refused;
  co_return core::Failure{.code = last,
                          .message = "cannot connect to " + address_.host_port() + " (tried " +
                                     tried + "): " + last.message()};
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> c) {
  if (!c || closed_ || idle_.size() >= limits_.upstream_pool_size) return;
  c->lowest().expires_never();
  c->idle_since = std::chrono::steady_clock::now();
  c->reused = false;
  idle_.push_back(std::move(c));
}

void UpstreamPool::close() {
  closed_ = true;
  idle_.clear();
}

}  // namespace relay::agent
