#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace relay::edge {

// Host header → tunnel name, for hosts of the form <name>.<domain>[:port]. Pure: no state but
// the domain. Case-insensitive; a trailing dot is accepted; the port is ignored (the listener
// already chose it).
class HostRouter {
 public:
  explicit HostRouter(std::string_view domain);

  [[nodiscard]] std::optional<std::string> route(std::string_view host) const;
  [[nodiscard]] const std::string& domain() const { return domain_; }

 private:
  std::string domain_;  // lower case, no trailing dot
};

}  // namespace relay::edge

namespace relay::edge {

// "scheme://name.domain[:port]", the port omitted when it is the scheme's default (or 0).
std::string make_public_url(std::string_view scheme, std::string_view domain, unsigned short port,
                            std::string_view name);

}  // namespace relay::edge
