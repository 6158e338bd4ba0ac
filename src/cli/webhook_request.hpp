#pragma once

// Flags shared by `relay webhook verify|sign|send`, and turning them into a verifier and request.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "relay/core/clock.hpp"
#include "relay/core/headers.hpp"
#include "relay/verify/verifier.hpp"

namespace relay::cli {

struct WebhookArgs {
  std::string provider;
  std::string secret;
  std::vector<std::string> headers;  // "Name: value"
  std::vector<std::string> params;   // "key=value"
  std::string body_file;             // "" none, "-" stdin
  std::string url;
  std::string method = "POST";
  std::optional<std::int64_t> now;
  std::optional<int> tolerance;
};

// A usage problem, reported with exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void add_secret_flags(CLI::App& cmd, WebhookArgs& args);  // --secret --param --tolerance
void add_request_flags(CLI::App& cmd, WebhookArgs& args, bool with_headers);

// Throws UsageError with a message naming the bad flag.
verify::VerifierPtr make_verifier(const WebhookArgs& args);
core::Headers parse_headers(const std::vector<std::string>& lines);
std::string read_body(const std::string& body_file);
core::Clock::time_point now_of(const WebhookArgs& args);

}  // namespace relay::cli
