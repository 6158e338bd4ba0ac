#pragma once

#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "relay/edge/cidr.hpp"

namespace relay::edge {

// Who the caller is, as the edge decides it (pure). The socket's peer, unless that peer is a
// trusted proxy (a load balancer in front of the edge, --trusted-proxies): then the right-most
// entry of X-Forwarded-For that is not itself a trusted proxy. Entries to its left were written
// by the caller and prove nothing. An unparsable entry stops the walk: what the last trusted
// hop saw is then the best answer. `forwarded_for` holds every X-Forwarded-For field in order.
boost::asio::ip::address decide_client_address(const boost::asio::ip::address& peer,
                                               const std::vector<std::string_view>& forwarded_for,
                                               const CidrSet& trusted);

}  // namespace relay::edge
