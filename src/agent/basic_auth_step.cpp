#include "agent/basic_auth_step.hpp"

#include <cctype>

#include "relay/core/error_page.hpp"
#include "relay/verify/crypto.hpp"

namespace relay::agent {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kUnauthorized = "RELAY_BASIC_AUTH_REQUIRED";

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const auto a = static_cast<unsigned char>(text[i]);
    const auto b = static_cast<unsigned char>(prefix[i]);
    if (std::tolower(a) != std::tolower(b)) return false;
  }
  return true;
}

}  // namespace

BasicAuthStep::BasicAuthStep(const BasicAuth& credentials)
    : expected_(credentials.user + ":" + credentials.password) {}

asio::awaitable<Step::Outcome> BasicAuthStep::run(Exchange& x) {
  if (const auto header = x.headers().get("authorization");
      header && iequals_prefix(*header, "basic ")) {
    auto encoded = header->substr(6);
    while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
    const auto given = verify::base64_decode(encoded);
    if (given && verify::constant_time_equal(*given, expected_)) co_return Outcome::next;
  }
  x.detail = "missing or wrong basic_auth credentials";
  x.relay_code = kUnauthorized;
  auto page = core::render_error_page(
      {401, kUnauthorized,
       "This tunnel needs a user name and password (its basic_auth setting): pass them, e.g. "
       "curl -u USER:PASSWORD."},
      x.headers().get("accept").value_or(""));
  core::Headers headers{{"content-type", page.content_type},
                        {std::string(core::kRelayErrorCodeHeader), std::string(kUnauthorized)},
                        {"www-authenticate", R"(Basic realm="relay", charset="UTF-8")"},
                        {"cache-control", "no-store"}};
  co_await respond_with(x, 401, std::move(headers), std::move(page.body));
  co_return Outcome::answered;
}

}  // namespace relay::agent
