#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace relay::verify::detail {

// A compact JWS split into its parts; the signature is still to be checked by the caller.
struct Jwt {
  nlohmann::json header;
  nlohmann::json claims;
  std::string_view signing_input;  // "<b64 header>.<b64 payload>", points into the token
  std::string signature;           // decoded bytes
};

// nullopt when `token` is not three base64url parts with JSON objects in the first two.
std::optional<Jwt> parse_jwt(std::string_view token);

std::string make_hs256_jwt(const nlohmann::json& claims, std::string_view key);

}  // namespace relay::verify::detail
