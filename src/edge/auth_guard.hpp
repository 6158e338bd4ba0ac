#pragma once

#include <chrono>
#include <string>

#include <boost/asio/ip/address.hpp>
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include "edge/edge_state.hpp"
#include "edge/refusal.hpp"

namespace relay::edge {

// The address whose failed authtokens are counted together: IPv4 as is (an IPv4-mapped IPv6
// address too), IPv6 by its /64, since one host usually holds a whole /64 to pick from.
std::string auth_limit_key(const boost::asio::ip::address& address);

// The refusal of an address blocked after too many failed authtokens, with the wait the agent is
// told (Retry-After).
struct AuthBlock {
  Refusal refusal;  // 429 too_many_auth_failures
  std::chrono::seconds retry_after;
};

// A check that passed or refused, like Refusable<void> (docs/architecture.md § Errors), whose
// refusal also carries the Retry-After.
using AuthCheck = boost::system::result<void, AuthBlock>;

// value() on a block is a programming error (check first): thrown as for any refusal.
[[noreturn]] inline void throw_exception_from_error(const AuthBlock& block,
                                                    const boost::source_location& where) {
  throw_exception_from_error(block.refusal, where);
}

// Before the authtoken is checked: passes, or fails with the block of an address blocked after
// too many failed attempts (logged within the limiter's budget).
AuthCheck check_auth_block(EdgeState& state, const std::string& key, const std::string& remote);

// After a 401: counts the failure and logs it within the budget (a guesser cannot fill the
// disk), with one line when the address gets blocked and one summary of what went unlogged.
void note_auth_failure(EdgeState& state, const std::string& key, const std::string& remote,
                       const Refusal& refusal);

}  // namespace relay::edge
