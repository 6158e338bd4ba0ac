#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "relay/core/failure.hpp"
#include "relay/edge/cidr.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {

// A tunnel's IP rules (issue 14 item 2, ngrok's --cidr-allow / --cidr-deny): a client address
// that matches `deny`, or that `allow` does not match when it lists anything, is refused at the
// edge (403 RELAY_IP_DENIED), so its request never crosses the tunnel. Deny wins over allow.
struct IpRules {
  CidrSet allow;
  CidrSet deny;

  [[nodiscard]] bool permits(const boost::asio::ip::address& client) const {
    if (deny.contains(client)) return false;
    return allow.empty() || allow.contains(client);
  }
  [[nodiscard]] bool empty() const { return allow.empty() && deny.empty(); }
};

// The rules an agent sent with a tunnel, or the Failure saying (for the agent's user: which
// entry and the form to use) that one is not a CIDR block or an address.
core::Fallible<IpRules> parse_ip_rules(const std::vector<std::string>& allow,
                                       const std::vector<std::string>& deny);

// Every tunnel's rules, in the order given; on a bad entry the Failure for the agent's user
// (the connect or bind is then refused: 400 bad_ip_rule).
core::Fallible<std::vector<IpRules>> parse_tunnel_ip_rules(
    const std::vector<net::protocol::TunnelRequest>& tunnels);

// The rules of each tunnel name, as its last bind gave them. They stay after the session ends
// (a buffered tunnel keeps queueing for its name: its rules still apply) and are replaced by
// the next bind of the name. Touched on the io thread only.
class TunnelIpRules {
 public:
  void set(const std::string& name, IpRules rules);
  void erase(const std::string& name) { rules_.erase(name); }
  // nullptr: no rules, every address may call.
  [[nodiscard]] const IpRules* find(const std::string& name) const;

 private:
  std::unordered_map<std::string, IpRules> rules_;
};

}  // namespace relay::edge
