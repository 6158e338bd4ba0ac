#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>

#include "edge/edge_state.hpp"

namespace relay::edge {

// The address whose failed authtokens are counted together: IPv4 as is (an IPv4-mapped IPv6
// address too), IPv6 by its /64, since one host usually holds a whole /64 to pick from.
std::string auth_limit_key(const boost::asio::ip::address& address);

struct AuthBlock {
  Refusal refusal;  // 429 too_many_auth_failures
  std::chrono::seconds retry_after;
};

// Before the authtoken is checked: the refusal for an address blocked after too many failed
// attempts (logged within the limiter's budget), or nullopt.
std::optional<AuthBlock> check_auth_block(EdgeState& state, const std::string& key,
                                          const std::string& remote);

// After a 401: counts the failure and logs it within the budget (a guesser cannot fill the
// disk), with one line when the address gets blocked and one summary of what went unlogged.
void note_auth_failure(EdgeState& state, const std::string& key, const std::string& remote,
                       const Refusal& refusal);

}  // namespace relay::edge
