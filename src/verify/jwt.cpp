#include "jwt.hpp"

#include "relay/verify/crypto.hpp"

namespace relay::verify::detail {

std::optional<Jwt> parse_jwt(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const auto header = base64url_decode(token.substr(0, first));
  const auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(token.substr(second + 1));
  if (!header || !payload || !signature) return std::nullopt;
  Jwt jwt{nlohmann::json::parse(*header, nullptr, false),
          nlohmann::json::parse(*payload, nullptr, false), token.substr(0, second),
          std::move(*signature)};
  if (!jwt.header.is_object() || !jwt.claims.is_object()) return std::nullopt;
  return jwt;
}

std::string make_hs256_jwt(const nlohmann::json& claims, std::string_view key) {
  const nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  const auto signature = hmac(HashAlgorithm::sha256, key, input);
  return input + "." + base64url_encode(signature);
}

}  // namespace relay::verify::detail
