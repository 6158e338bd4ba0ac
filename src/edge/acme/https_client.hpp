#pragma once

#include <chrono>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include "relay/net/tls.hpp"

namespace relay::edge::acme {

struct HttpsResponse {
  int status = 0;
  std::string body;
  std::string location;      // Location: an account's or an order's URL
  std::string replay_nonce;  // Replay-Nonce: the next request's nonce
};

// One HTTPS request to the ACME server per call, one connection each (orders are rare: a
// connection pool would buy nothing). The whole exchange is bounded by `timeout` and the
// answer by 1 MiB. Throws std::runtime_error saying which URL failed and why.
class HttpsClient {
 public:
  HttpsClient(boost::asio::any_io_executor ex, net::TlsContextPtr tls,
              std::chrono::seconds timeout);

  boost::asio::awaitable<HttpsResponse> request(boost::beast::http::verb method, std::string url,
                                                std::string body = {});

 private:
  boost::asio::any_io_executor executor_;
  net::TlsContextPtr tls_;
  std::chrono::seconds timeout_;
};

}  // namespace relay::edge::acme
