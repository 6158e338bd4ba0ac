#pragma once

// rediss:// — the Redis client's TLS: a verifying client context, SNI and host name checks for
// one connection, and a failed handshake said in words an operator can act on.
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "relay/store/redis/redis_url.hpp"

namespace relay::store::redis {

using RedisTlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// TLS 1.2+, the server certificate verified against `endpoint.ca_file` (PEM), or the system
// store when it is empty. Throws std::runtime_error naming the file when it cannot be read.
std::shared_ptr<boost::asio::ssl::context> make_redis_tls_context(const RedisEndpoint& endpoint);

// SNI (names only) and the check that the certificate is for `host` (a name or an IP literal).
void prepare_redis_tls_stream(RedisTlsStream& stream, const std::string& host);

// Why the handshake with `endpoint` failed: the certificate verification error when there is
// one ("certificate verify failed: self-signed certificate in certificate chain"), and what to do.
std::string describe_redis_tls_error(const boost::system::error_code& ec, RedisTlsStream& stream,
                                     const RedisEndpoint& endpoint);

}  // namespace relay::store::redis
