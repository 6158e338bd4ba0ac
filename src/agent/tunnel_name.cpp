#include "relay/agent/tunnel_name.hpp"

#include "relay/core/headers.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::agent {

core::Fallible<std::string> requested_tunnel_name(std::string_view url) {
  std::string_view rest = url;
  if (auto sep = rest.find("://"); sep != std::string_view::npos) rest.remove_prefix(sep + 3);
  if (auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  if (auto colon = rest.find(':'); colon != std::string_view::npos) rest = rest.substr(0, colon);
  if (rest.empty()) {
    if (!url.empty()) {
      return core::Failure{
          .message = "--url '" + std::string(url) +
                     "' has no name; use --url myhook or --url https://myhook.example.com"};
    }
    return std::string();
  }
  auto name = core::to_lower(rest.substr(0, rest.find('.')));
  if (!net::protocol::is_valid_tunnel_name(name)) {
    return core::Failure{
        .message =
            "tunnel name '" + name + "' (from --url '" + std::string(url) +
            "') is not valid: use 1-63 lowercase letters, digits or '-', not starting or ending "
            "with '-'"};
  }
  return name;
}

}  // namespace relay::agent
