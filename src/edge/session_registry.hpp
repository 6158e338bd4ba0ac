#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "edge/name_generator.hpp"
#include "edge/refusal.hpp"
#include "relay/edge/edge_options.hpp"
#include "relay/net/tunnel_protocol.hpp"
#include "relay/store/name_store.hpp"

namespace relay::edge {

class AgentSession;

// Which agent session holds which tunnel name, and which names are reserved for a session that
// may resume. Pure bookkeeping: time comes in as a parameter (tests inject it), the live session
// object is only carried. Synchronisation: owned by the EdgeServer's state and touched only on
// the io thread, like everything else in the edge.
//
// Who may hold a name at all is decided before that, and survives restarts: a name listed in
// edge.yml (reserved_names) belongs to its token; any other name to the token that first bound
// it, as recorded in `owners` (store::NameStore, SQLite in the edge's state directory). Another
// token, or an anonymous agent, is refused 409 name_owned at any time. Anonymous agents claim
// nothing. The store is asked on every claim, so an operator's `relay edge names release` counts
// from the next connect or bind on; a session that holds the name keeps it until it ends, and
// its own token re-claims the name when it reconnects.
class SessionRegistry {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  SessionRegistry(const std::vector<AuthToken>& tokens, std::chrono::seconds resume_grace,
                  std::size_t max_tunnels_per_session, std::size_t max_sessions,
                  store::NameStore& owners);

  struct Claim {
    const AuthToken* token = nullptr;  // nullptr: anonymous
    std::vector<net::protocol::TunnelRequest> tunnels;
    std::optional<std::string> resume;
  };
  struct Grant {
    std::string session_id;
    std::vector<std::string> names;
    bool resumed = false;
    // A still-connected session this one replaced (its agent reconnected before the edge saw
    // the old connection die): the caller closes it.
    std::shared_ptr<AgentSession> replaced;
  };
  // Claims every requested name for a connecting agent, all or none.
  Refusable<Grant> open(const Claim& claim, TimePoint now, NameGenerator& names);
  // The session's live object, once the HTTP/2 session runs.
  void attach(const std::string& session_id, std::shared_ptr<AgentSession> session);
  // The agent is gone: its names stay reserved for the resume grace period. Ignored when
  // `session` no longer owns the id (a resume replaced it).
  void detach(const std::string& session_id, const AgentSession* session, TimePoint now);

  // Later tunnels of a live session (control stream "bind"/"unbind").
  Refusable<std::vector<std::string>> bind(const std::string& session_id,
                                           const std::vector<net::protocol::TunnelRequest>& tunnels,
                                           TimePoint now, NameGenerator& names);
  void unbind(const std::string& session_id, const std::vector<std::string>& names);

  enum class State { not_found, live, lost };
  struct Lookup {
    State state = State::not_found;
    std::shared_ptr<AgentSession> session;  // set when live (null until attached)
    // The registry's own copy (a 32-character id was two allocations per public request):
    // valid until the registry next changes, so compare it at once and keep no view of it.
    std::string_view session_id;
  };
  Lookup lookup(std::string_view name, TimePoint now);

  [[nodiscard]] std::size_t session_count() const { return sessions_.size(); }
  // durable delivery: the names a session holds (its queue is what its agent may manage).
  [[nodiscard]] std::vector<std::string> names_of(const std::string& session_id) const;
  [[nodiscard]] std::vector<std::shared_ptr<AgentSession>> live_sessions() const;
  // Drops sessions whose grace period is over.
  void expire(TimePoint now);

  // durable delivery (accept): called with each name an anonymous session stops holding (its
  // resume grace ran out, or it unbound the name), whose in-memory buffer policy ends with it.
  std::function<void(const std::string& name)> on_anonymous_name_released;
  [[nodiscard]] bool is_anonymous(const std::string& session_id) const;

  // cluster: redis. Called after the set of names held by connected sessions may have changed
  // (attach, detach, bind, unbind, a session dropped); the cluster republishes its routes.
  std::function<void()> on_sessions_changed;
  // The names held by connected sessions (not those reserved for a lost one), unsorted.
  [[nodiscard]] std::vector<std::string> connected_names() const;
  // The token hash a session was opened with ("" anonymous or unknown).
  [[nodiscard]] std::string token_hash_of(const std::string& session_id) const;

 private:
  struct Session {
    std::string token_hash;
    std::vector<std::string> names;
    bool connected = true;
    TimePoint lost_at{};
    std::shared_ptr<AgentSession> live;
  };

  Refusable<void> check_name(const std::string& name, const std::string& session_id,
                             const std::string& token_hash, TimePoint now) const;
  Refusable<std::vector<std::string>> assign(
      const std::string& session_id, const std::string& token_hash,
      const std::vector<net::protocol::TunnelRequest>& tunnels, std::vector<std::string> recycled,
      std::size_t already_held, TimePoint now, NameGenerator& names) const;
  // The token that owns `name` ("" none): edge.yml's reservation, else the store's record.
  core::Result<std::string> owner_of(const std::string& name) const;
  // Records `token_hash` as the owner of each name it does not own yet (anonymous: nothing).
  Refusable<void> claim_owners(const std::vector<std::string>& names,
                               const std::string& token_hash);
  void erase_session(const std::string& session_id);
  // Records the name for the session, taking it from a disconnected session of the same token.
  void claim_name(const std::string& name, const std::string& session_id);

  std::unordered_map<std::string, std::string> reserved_by_token_;  // name → token hash
  store::NameStore& owners_;  // name → token hash, persistent; edge.yml's names are not in it
  std::chrono::seconds grace_;
  std::size_t max_tunnels_;
  std::size_t max_sessions_;
  std::unordered_map<std::string, Session> sessions_;  // id → session
  // Found by a string_view: routing a public request looks its name up without a copy.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const {
      return std::hash<std::string_view>{}(name);
    }
  };
  // tunnel name → session id
  std::unordered_map<std::string, std::string, NameHash, std::equal_to<>> names_;
};

}  // namespace relay::edge
