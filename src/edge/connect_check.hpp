#pragma once

#include <string_view>

#include "edge/auth_tokens.hpp"
#include "edge/refusal.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {

// What the agent listener read of the connect request (HTTP/1.1, relay/1 step 2).
struct ConnectHead {
  std::string_view method;
  std::string_view target;
  std::string_view authorization;  // "Bearer <token>"
  std::string_view upgrade;
};

struct ConnectAccepted {
  net::protocol::ConnectRequest request;
  const AuthToken* token = nullptr;  // nullptr: anonymous (allow_anonymous)
};

// The token of an `Authorization: Bearer <token>` header ("" when there is none).
std::string_view bearer_token(std::string_view authorization);

// Validates a connect request: path, method, Upgrade, authtoken, JSON body and version. Pure;
// the refusal carries the HTTP status and the JSON error of docs/protocol.md.
Refusable<ConnectAccepted> check_connect(const ConnectHead& head, std::string_view body,
                                         const AuthTokens& tokens, bool allow_anonymous);

}  // namespace relay::edge
