#include "edge/connect_check.hpp"

#include <fmt/format.h>

#include "relay/core/headers.hpp"

namespace relay::edge {

namespace protocol = net::protocol;

std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !core::iequals(authorization.substr(0, kScheme.size()), kScheme)) {
    return {};
  }
  auto token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

Refusable<ConnectAccepted> check_connect(const ConnectHead& head, std::string_view body,
                                         const AuthTokens& tokens, bool allow_anonymous) {
  if (head.target != protocol::kConnectPath) {
    return Refusal{404, "not_found",
                   fmt::format("this is a relay edge's agent port; agents connect with POST {}",
                               protocol::kConnectPath)};
  }
  if (head.method != "POST") {
    return Refusal{405, "method_not_allowed",
                   fmt::format("use POST {} to connect an agent", protocol::kConnectPath)};
  }
  if (!core::iequals(head.upgrade, protocol::kUpgradeToken)) {
    return Refusal{
        400, "upgrade_required",
        fmt::format("the connect request must carry 'Upgrade: {}'", protocol::kUpgradeToken)};
  }
  ConnectAccepted accepted;
  auto presented = bearer_token(head.authorization);
  accepted.token = tokens.find(presented);
  if (!accepted.token && !allow_anonymous) {
    return Refusal{401, "unauthorized",
                   presented.empty()
                       ? "no authtoken was sent; pass --authtoken with a token this edge accepts"
                       : "the authtoken is not accepted by this edge; check --authtoken against "
                         "the edge's --authtoken/--authtokens-file"};
  }
  auto request = protocol::parse_connect_request(body);
  if (!request) {
    return Refusal{400, "bad_request",
                   "the connect request body is malformed: " + request.error().message};
  }
  if (request->version != protocol::kVersion) {
    return Refusal{400, "unsupported_version",
                   fmt::format("this edge speaks relay/{} and the agent asked for version {}; "
                               "use matching relay versions",
                               protocol::kVersion, request->version)};
  }
  accepted.request = std::move(*request);
  return accepted;
}

}  // namespace relay::edge
