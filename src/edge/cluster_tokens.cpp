#include "edge/cluster_tokens.hpp"

#include <algorithm>
#include <vector>

#include "edge/cluster.hpp"
#include "edge/edge_state.hpp"
#include "relay/store/redis/redis_token_store.hpp"
#include "relay/verify/crypto.hpp"

namespace relay::edge {

namespace asio = boost::asio;

namespace {

AuthToken to_auth_token(const std::string& hash, const store::redis::TokenRecord& record) {
  AuthToken t;
  t.sha256_hex = hash;
  t.label = record.label;
  t.reserved_names = record.reserved_names;
  return t;
}

}  // namespace

bool well_formed_token(std::string_view token) {
  if (token.empty() || token.size() > 256) return false;
  return std::ranges::all_of(token, [](char c) { return c > ' ' && c <= '~'; });
}

asio::awaitable<void> refresh_cluster_tokens(EdgeState& state) {
  if (!state.cluster) co_return;
  auto fresh = co_await state.cluster->tokens().all();
  if (!fresh) co_return;
  std::vector<AuthToken> tokens;
  tokens.reserve(fresh->size());
  for (const auto& [hash, record] : *fresh) tokens.push_back(to_auth_token(hash, record));
  state.tokens.set_cluster(std::move(tokens));
}

asio::awaitable<void> fetch_cluster_token(EdgeState& state, std::string presented) {
  if (!state.cluster || !well_formed_token(presented)) co_return;
  const std::string hash = verify::sha256_hex(presented);
  auto found = co_await state.cluster->tokens().lookup(hash);
  if (found && *found) state.tokens.add_cluster(to_auth_token(hash, **found));
}

}  // namespace relay::edge
