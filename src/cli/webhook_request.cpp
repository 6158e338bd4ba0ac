#include "cli/webhook_request.hpp"

#include <array>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "relay/agent/agent_options.hpp"
#include "relay/verify/registry.hpp"
#include "relay/verify/secret.hpp"

namespace relay::cli {

void add_secret_flags(CLI::App& cmd, WebhookArgs& args) {
  cmd.add_option("--secret", args.secret,
                 "The provider's signing secret (or public key): env:NAME or file:PATH (a "
                 "literal shows in ps)");
  cmd.add_option("--param", args.params,
                 "Provider option key=value (repeatable): verify_token for Meta; header, "
                 "algorithm, encoding, prefix, template, timestamp_header... for 'hmac'");
  cmd.add_option("--tolerance", args.tolerance,
                 "Accepted timestamp skew in seconds, both ways (default: the provider's)");
}

void add_request_flags(CLI::App& cmd, WebhookArgs& args, bool with_headers) {
  if (with_headers) {
    cmd.add_option("-H,--header", args.headers,
                   "A request header 'Name: value' (repeatable), as the provider sent it");
  }
  cmd.add_option("--body-file", args.body_file,
                 "File with the raw request body, '-' for stdin (default: empty body)");
  cmd.add_option("--url", args.url,
                 "The full public URL the provider called (signed by Twilio, Square, HubSpot...)");
  cmd.add_option("--method", args.method, "The request method (default POST)");
  cmd.add_option("--now", args.now, "Verify/sign as if the time were this unix timestamp");
}

verify::VerifierPtr make_verifier(const WebhookArgs& args) {
  const auto& registry = verify::builtin_registry();
  if (!registry.contains(args.provider)) {
    throw UsageError("unknown webhook provider '" + args.provider +
                     "'; known providers: " + registry.known_names());
  }
  verify::VerifierOptions options;
  auto secret = verify::resolve_secret(args.secret);
  if (!secret) throw UsageError(secret.error().message);
  options.secret = std::move(*secret);
  if (args.tolerance) {
    if (*args.tolerance < 0) throw UsageError("--tolerance must be 0 or more seconds");
    options.tolerance = std::chrono::seconds{*args.tolerance};
  }
  for (const auto& p : args.params) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("--param '" + p + "' must be key=value, e.g. --param header=X-Signature");
    }
    options.params[p.substr(0, eq)] = p.substr(eq + 1);
  }
  auto verifier = registry.create(args.provider, options);
  if (!verifier) {
    // The registry's message names the secret flag of `relay http`; here it is --secret.
    if (options.secret.empty()) {
      throw UsageError("webhook provider '" + args.provider +
                       "' needs a secret: pass --secret env:NAME (or file:PATH)");
    }
    throw UsageError(verifier.error().message);
  }
  return std::move(*verifier);
}

core::Headers parse_headers(const std::vector<std::string>& lines) {
  core::Headers headers;
  for (const auto& line : lines) {
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      throw UsageError("--header '" + line + "' must be 'Name: value'");
    }
    auto value = line.substr(colon + 1);
    const auto first = value.find_first_not_of(" \t");
    value = first == std::string::npos ? "" : value.substr(first);
    headers.add(line.substr(0, colon), value);
  }
  return headers;
}

namespace {

// The most `relay webhook` reads from a body file: what a tunnel buffers to verify a body
// (AgentLimits::max_verified_body_bytes, 10 MiB). A provider's webhook is far smaller; without a
// bound, --body-file /dev/zero grew the process by gigabytes in seconds.
constexpr std::size_t kMaxBodyBytes = agent::AgentLimits{}.max_verified_body_bytes;

// A --now before 2000 or after 2200 is a typo (milliseconds, a sign): refused, and kept far from
// where seconds overflow the clock's nanoseconds.
constexpr std::int64_t kMinNow = 946684800;   // 2000-01-01T00:00:00Z
constexpr std::int64_t kMaxNow = 7258118400;  // 2200-01-01T00:00:00Z

std::string read_bounded(std::istream& in, const std::string& what) {
  std::string out;
  std::array<char, 64 * 1024> chunk{};
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    out.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (out.size() > kMaxBodyBytes) {
      throw UsageError("--body-file: " + what + " is larger than " +
                       std::to_string(kMaxBodyBytes / (1024 * 1024)) +
                       " MiB, the most a tunnel verifies; give a webhook body file");
    }
  }
  if (in.bad()) throw UsageError("--body-file: cannot read " + what);
  return out;
}

}  // namespace

std::string read_body(const std::string& body_file) {
  if (body_file.empty()) return {};
  if (body_file == "-") return read_bounded(std::cin, "stdin");
  std::ifstream in{body_file, std::ios::binary};
  if (!in) throw UsageError("--body-file: cannot read '" + body_file + "'");
  return read_bounded(in, "'" + body_file + "'");
}

core::Clock::time_point now_of(const WebhookArgs& args) {
  if (!args.now) return core::Clock::now();
  if (*args.now < kMinNow || *args.now > kMaxNow) {
    throw UsageError("--now " + std::to_string(*args.now) +
                     " is not a unix time in seconds between 2000 and 2200 (" +
                     std::to_string(kMinNow) + ".." + std::to_string(kMaxNow) +
                     "), e.g. --now 1764000000");
  }
  return core::from_unix_seconds(*args.now);
}

}  // namespace relay::cli
