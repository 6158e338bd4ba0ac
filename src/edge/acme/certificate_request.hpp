#pragma once

#include <optional>
#include <string>

#include "relay/core/clock.hpp"

namespace relay::edge::acme {

// A fresh EC P-256 private key (PEM) for one host's certificate: never the account key, so a
// leaked certificate key does not give away the ACME account.
std::string make_certificate_key();

// The DER certificate signing request for `host` (CN and the one DNS SAN), signed by `key_pem`.
// Throws std::runtime_error when the key cannot be read.
std::string make_csr_der(const std::string& key_pem, const std::string& host);

// notAfter of the first certificate of a PEM chain (what the CA sent or what is on disk);
// nullopt when the text holds no certificate. Reads untrusted input (fuzzed).
std::optional<core::Clock::time_point> certificate_not_after(const std::string& chain_pem);

}  // namespace relay::edge::acme
