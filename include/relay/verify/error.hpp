#pragma once

#include <system_error>

#include <boost/system/error_code.hpp>

namespace relay::verify {

// Why a verifier could not be created (not why a request was rejected: that is a Verdict).
enum class VerifyErrc {
  unknown_provider = 1,
  missing_secret,
  invalid_secret,      // e.g. a public key that does not parse
  invalid_option,      // a bad generic-hmac parameter or tolerance
  secret_unavailable,  // env:/file: could not be read
};

const boost::system::error_category& verify_category();

inline boost::system::error_code make_error_code(VerifyErrc e) {
  return {static_cast<int>(e), verify_category()};
}

}  // namespace relay::verify

template <>
struct boost::system::is_error_code_enum<relay::verify::VerifyErrc> : std::true_type {};
