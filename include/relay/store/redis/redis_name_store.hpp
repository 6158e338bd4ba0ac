#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "relay/store/name_store.hpp"
#include "relay/store/redis/redis_connection.hpp"

namespace relay::store::redis {

// cluster: tunnel name ownership shared by every edge of a cluster, in Redis (one hash per
// name, `relay:name:<name>` {owner, claimed_at}; docs/cluster.md). Claims are atomic (a Lua
// script): two edges claiming a free name at once give it to one owner.
//
// NameStore is synchronous and the edge must not block on the network, so the edge claims the
// names an agent asks for with claim_async() before it opens the session, and the synchronous
// interface answers from what that (and every earlier answer) cached. What is cached stays
// known while Redis is away: tunnels already claimed keep working. A name not in the cache
// (a random name the edge picked) is claimed in the background; while Redis is down such a
// name cannot be checked and the call fails with Errc::unavailable.
class RedisNameStore final : public NameStore {
 public:
  explicit RedisNameStore(std::shared_ptr<RedisConnection> redis);

  // Claims each name for `owner` in Redis, and caches each name's owner as Redis answers it
  // (the owner's own, or another's). Fails (unavailable) when Redis cannot be asked.
  boost::asio::awaitable<core::Result<void>> claim_async(std::vector<std::string> names,
                                                         std::string owner);
  // Reads (never claims) each name's owner and caches those that have one: an anonymous agent
  // claims nothing, but must still be refused a name a token owns.
  boost::asio::awaitable<core::Result<void>> lookup_async(std::vector<std::string> names);
  [[nodiscard]] bool cached(const std::string& name) const { return owners_->contains(name); }

  core::Result<ClaimOutcome> claim(std::string_view name, std::string_view owner) override;
  core::Result<bool> release(std::string_view name) override;
  core::Result<std::optional<std::string>> owner(std::string_view name) override;
  // What this edge knows (the cache), sorted by name; Redis holds the whole list.
  core::Result<std::vector<NameRecord>> list() override;

  // For the operator (`relay edge names --cluster`), from Redis itself, not the cache: every
  // owned name, sorted by name (a SCAN), and a release that returns the owner the name had
  // (nullopt: nobody owned it). Edges forget a released owner the next time an agent asks for
  // the name.
  boost::asio::awaitable<core::Result<std::vector<NameRecord>>> list_all();
  boost::asio::awaitable<core::Result<std::optional<std::string>>> release_async(std::string name);

  static std::string key(std::string_view name);

 private:
  using Cache = std::map<std::string, NameRecord, std::less<>>;
  static boost::asio::awaitable<core::Result<void>> claim_into(
      std::shared_ptr<RedisConnection> redis, std::shared_ptr<Cache> cache,
      std::vector<std::string> names, std::string owner);

  std::shared_ptr<RedisConnection> redis_;
  // Shared with background claims, which may finish after the store is gone.
  std::shared_ptr<Cache> owners_ = std::make_shared<Cache>();
};

// cluster: the session directory. For each tunnel name, which edges hold a live agent session
// for it: one key per (name, edge), `relay:route:<name>:<edge-id>`, whose value is the Unix
// time in milliseconds it was last renewed, with a TTL (PX) so an edge that dies without
// cleaning up drops out within the TTL.
class RouteDirectory {
 public:
  RouteDirectory(std::shared_ptr<RedisConnection> redis, std::string edge_id,
                 std::chrono::milliseconds ttl);

  // Sets (or renews) this edge's key for each name: one pipelined write.
  boost::asio::awaitable<core::Result<void>> publish(std::vector<std::string> names);
  // Deletes this edge's key for each name.
  boost::asio::awaitable<core::Result<void>> withdraw(std::vector<std::string> names);
  // The edges holding a live session for `name` (for the peer link between edges), sorted.
  boost::asio::awaitable<core::Result<std::vector<std::string>>> edges_for(std::string name);

  [[nodiscard]] std::string key(std::string_view name) const;
  static std::string prefix(std::string_view name);

 private:
  std::shared_ptr<RedisConnection> redis_;
  std::string edge_id_;
  std::chrono::milliseconds ttl_;
};

}  // namespace relay::store::redis
