#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace relay::verify {

enum class VerdictCode {
  valid,
  missing_header,
  malformed_header,
  stale_timestamp,
  future_timestamp,
  signature_mismatch,
  body_too_large,
  missing_secret,
};

// The outcome of one verification. `reason` is for humans (logs, the 403 body, the CLI), e.g.
// "stale timestamp: 1712 s old, tolerance 300 s".
struct Verdict {
  VerdictCode code = VerdictCode::valid;
  std::string provider;
  std::string reason;
  // The provider's idempotency key when it sends one (TokPortal-Event-Id, svix-id,
  // webhook-id, X-GitHub-Delivery...): the agent flags a repeated value as a duplicate delivery.
  std::optional<std::string> event_id;

  [[nodiscard]] bool ok() const { return code == VerdictCode::valid; }
};

// "valid", "missing_header", ... (stable: used in captures and logs).
std::string_view to_string(VerdictCode code);

}  // namespace relay::verify
