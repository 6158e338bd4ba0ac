#include "relay/verify/verdict.hpp"

namespace relay::verify {

std::string_view to_string(VerdictCode code) {
  switch (code) {
    case VerdictCode::valid:
      return "valid";
    case VerdictCode::missing_header:
      return "missing_header";
    case VerdictCode::malformed_header:
      return "malformed_header";
    case VerdictCode::stale_timestamp:
      return "stale_timestamp";
    case VerdictCode::future_timestamp:
      return "future_timestamp";
    case VerdictCode::signature_mismatch:
      return "signature_mismatch";
    case VerdictCode::body_too_large:
      return "body_too_large";
    case VerdictCode::missing_secret:
      return "missing_secret";
  }
  return "unknown";
}

}  // namespace relay::verify
