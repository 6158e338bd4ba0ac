#include "store/redis/redis_tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include <fmt/format.h>

namespace relay::store::redis {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_redis_tls_context(const RedisEndpoint& endpoint) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (!endpoint.ca_file.empty()) {
    ctx->load_verify_file(endpoint.ca_file, ec);
    if (ec) {
      throw std::runtime_error(fmt::format(
          "cannot use '{}' as the Redis CA (?cacert=): {}; give a readable PEM file with the CA "
          "that signed the Redis server's certificate",
          endpoint.ca_file, ec.message()));
    }
  } else {
    ctx->set_default_verify_paths(ec);
    if (ec) {
      throw std::runtime_error("cannot load the system CA store for rediss://: " + ec.message() +
                               "; add ?cacert=PATH to the URL");
    }
  }
  return ctx;
}

void prepare_redis_tls_stream(RedisTlsStream& stream, const std::string& host) {
  boost::system::error_code not_ip;
  auto address = boost::asio::ip::make_address(host, not_ip);
  SSL* handle = stream.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(handle);
  if (not_ip) {
    SSL_set_tlsext_host_name(handle, host.c_str());  // SNI is for names, not IPs
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(param, address.to_string().c_str());
  }
}

std::string describe_redis_tls_error(const boost::system::error_code& ec, RedisTlsStream& stream,
                                     const RedisEndpoint& endpoint) {
  const long verify = SSL_get_verify_result(stream.native_handle());
  if (verify != X509_V_OK) {
    return fmt::format(
        "TLS with Redis at {}: the server certificate was refused: certificate verify failed: {} "
        "({}; fix the server's certificate or the CA)",
        endpoint.display(), X509_verify_cert_error_string(verify),
        endpoint.ca_file.empty() ? std::string("checked against the system CA store; add "
                                               "?cacert=PATH to the rediss:// URL")
                                 : "checked against " + endpoint.ca_file);
  }
  return fmt::format("TLS handshake with Redis at {} failed: {}", endpoint.display(), ec.message());
}

}  // namespace relay::store::redis
