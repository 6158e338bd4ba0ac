#include "relay/config/buffer_settings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

#include "relay/core/clock.hpp"
#include "relay/verify/registry.hpp"

namespace relay::config {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  std::uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, number);
  if (ec != std::errc{} || end != text.data() + digits || number >= 1'000'000'000ULL) {
    return std::nullopt;
  }
  const auto n = static_cast<std::int64_t>(number);
  const std::string_view unit = text.substr(digits);
  if (unit.empty() || unit == "s") return std::chrono::seconds{n};
  if (unit == "ms") return std::chrono::milliseconds{n};
  if (unit == "m") return std::chrono::minutes{n};
  if (unit == "h") return std::chrono::hours{n};
  return std::nullopt;
}

std::optional<core::BufferMode> parse_buffer_setting(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "yes" || lower == "on") return core::BufferMode::offline;
  if (lower == "false" || lower == "no") return core::BufferMode::off;
  return core::parse_buffer_mode(lower);
}

std::string buffer_setting_problem(const core::BufferPolicy& policy) {
  std::string_view problem = core::buffer_policy_error(policy);
  if (problem.empty()) return {};
  if (auto space = problem.find(' '); space != std::string_view::npos) {
    problem.remove_prefix(space + 1);
  }
  return std::string(problem);
}

std::string resign_problem(const std::optional<agent::WebhookVerification>& verification) {
  if (!verification) {
    return "re-signing happens after verification, so it needs verify_webhook (relay http: "
           "--verify-webhook PROVIDER --verify-webhook-secret env:NAME)";
  }
  verify::VerifierOptions options;
  options.secret = verification->secret;
  options.tolerance = verification->tolerance;
  options.params = verification->params;
  auto verifier = verify::builtin_registry().create(verification->provider, options);
  if (!verifier) return {};  // the verification's own check reports it
  const core::Headers none;
  if (!(*verifier)->sign({"POST", "https://relay.invalid/", none, "{}"}, core::Clock::now())) {
    return "relay cannot sign for " + verification->provider +
           " (its secret is a public key); turn re-signing off";
  }
  return {};
}

}  // namespace relay::config
