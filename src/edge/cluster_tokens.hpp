#pragma once

#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

namespace relay::edge {

struct EdgeState;

// cluster: tokens (issue 12, docs/cluster.md "Authtokens in Redis"). With --cluster an edge
// accepts the tokens of edge.yml and those in Redis's `relay:tokens` (hashes only), which it
// caches in EdgeState::tokens.

// Replaces the cache with what Redis holds now (every 2 s and when Redis comes back, from
// watch_cluster_queue). Redis away: the cache stays as it was.
boost::asio::awaitable<void> refresh_cluster_tokens(EdgeState& state);

// A presented token this edge does not know yet: one HGET of its hash (bounded by the Redis
// client's command timeout), so a token added a moment ago works at once. Adds it to the cache
// when Redis has it. Only for a well-formed token, and only after the auth-failure limiter let
// the client through (agent_listener checks that first): guesses cost at most the limiter's
// rate of Redis round trips.
boost::asio::awaitable<void> fetch_cluster_token(EdgeState& state, std::string presented);

// What a token must look like to be looked up: 1-256 visible ASCII characters.
bool well_formed_token(std::string_view token);

}  // namespace relay::edge
