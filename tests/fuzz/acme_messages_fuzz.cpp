// What an ACME server (or a file in <state_dir>/acme/) hands the edge: JSON objects, URLs and a
// PEM certificate chain; and what any TLS client sends: the ALPN extension of its ClientHello.
// None of it may crash the edge.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "edge/acme/acme_messages.hpp"
#include "edge/acme/certificate_request.hpp"
#include "edge/acme/tls_alpn_challenge.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)relay::edge::acme::parse_directory(text);
  (void)relay::edge::acme::parse_order(text);
  (void)relay::edge::acme::parse_authorization(text);
  (void)relay::edge::acme::parse_problem(text);
  (void)relay::edge::acme::parse_https_url(text);
  (void)relay::edge::acme::certificate_not_after(std::string(text));
  (void)relay::edge::acme::offers_acme_tls(data, size);  // a ClientHello's ALPN extension
  return 0;
}
