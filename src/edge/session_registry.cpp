#include "edge/session_registry.hpp"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "relay/core/headers.hpp"

namespace relay::edge {

namespace protocol = net::protocol;

namespace {

Refusal owned_refusal(const std::string& name) {
  return Refusal{409, "name_owned",
                 fmt::format("tunnel name '{}' belongs to another authtoken on this edge (a name "
                             "stays with the token that first used it, or that edge.yml reserves "
                             "it for); pick another name, or ask the edge's operator to free it "
                             "with `relay edge names release {}`",
                             name, name)};
}

Refusal store_refusal() {
  return Refusal{503, "store_unavailable",
                 "the edge cannot read or write its state (its database, or the cluster's Redis; "
                 "its log says why); retry later"};
}

}  // namespace

SessionRegistry::SessionRegistry(const std::vector<AuthToken>& tokens,
                                 std::chrono::seconds resume_grace,
                                 std::size_t max_tunnels_per_session, std::size_t max_sessions,
                                 store::NameStore& owners)
    : owners_(owners),
      grace_(resume_grace),
      max_tunnels_(max_tunnels_per_session),
      max_sessions_(max_sessions) {
  for (const auto& t : tokens) {
    for (const auto& name : t.reserved_names) {
      reserved_by_token_[core::to_lower(name)] = core::to_lower(t.sha256_hex);
    }
  }
}

Refusable<SessionRegistry::Grant> SessionRegistry::open(const Claim& claim, TimePoint now,
                                                        NameGenerator& generator) {
  expire(now);
  const std::string token_hash = claim.token ? core::to_lower(claim.token->sha256_hex) : "";
  Grant grant;
  std::vector<std::string> recycled;
  auto previous = claim.resume ? sessions_.find(*claim.resume) : sessions_.end();
  // Only the token that opened a session may resume it: the id alone is not a credential.
  if (previous != sessions_.end() && previous->second.token_hash == token_hash) {
    grant.session_id = previous->first;
    grant.resumed = true;
    recycled = previous->second.names;
  } else {
    if (sessions_.size() >= max_sessions_) {
      return Refusal{503, "too_many_sessions",
                     "this edge already serves its maximum number of agent sessions; try again "
                     "later or raise the edge's session limit"};
    }
    grant.session_id = random_hex(16);
  }

  auto assigned = assign(grant.session_id, token_hash, claim.tunnels, recycled, 0, now, generator);
  if (!assigned) return std::move(assigned.error());
  grant.names = std::move(*assigned);
  if (auto claimed = claim_owners(grant.names, token_hash); !claimed) return claimed.error();

  if (grant.resumed) {
    Session& s = previous->second;
    if (s.connected) grant.replaced = std::move(s.live);
    for (const auto& old : s.names) {
      if (std::find(grant.names.begin(), grant.names.end(), old) == grant.names.end()) {
        names_.erase(old);
        if (token_hash.empty() && on_anonymous_name_released) on_anonymous_name_released(old);
      }
    }
    s.names = grant.names;
    s.connected = true;
    s.live.reset();
  } else {
    sessions_[grant.session_id] = Session{token_hash, grant.names, true, {}, nullptr};
  }
  for (const auto& n : grant.names) claim_name(n, grant.session_id);
  return grant;
}

Refusable<std::vector<std::string>> SessionRegistry::assign(
    const std::string& session_id, const std::string& token_hash,
    const std::vector<protocol::TunnelRequest>& tunnels, std::vector<std::string> recycled,
    std::size_t already_held, TimePoint now, NameGenerator& generator) const {
  if (tunnels.size() + already_held > max_tunnels_) {
    return Refusal{400, "too_many_tunnels",
                   fmt::format("an agent session may hold at most {} tunnels; split them over "
                               "several agents",
                               max_tunnels_)};
  }
  std::vector<std::string> out(tunnels.size());
  std::unordered_set<std::string> taken;
  for (std::size_t i = 0; i < tunnels.size(); ++i) {
    const auto& t = tunnels[i];
    if (t.proto != "http") {
      return Refusal{400, "unsupported_proto",
                     fmt::format("tunnel protocol '{}' is not supported; use \"http\"", t.proto)};
    }
    if (t.name.empty()) continue;
    std::string name = core::to_lower(t.name);
    if (!protocol::is_valid_tunnel_name(name)) {
      return Refusal{400, "invalid_name",
                     fmt::format("'{}' is not a valid tunnel name; use 1-63 letters, digits or "
                                 "'-', not starting or ending with '-'",
                                 t.name)};
    }
    if (!taken.insert(name).second) {
      return Refusal{400, "duplicate_name",
                     fmt::format("tunnel name '{}' is requested twice", name)};
    }
    if (auto free = check_name(name, session_id, token_hash, now); !free) return free.error();
    out[i] = std::move(name);
  }
  // Unnamed tunnels of a resuming session get its previous names back, in order, so the public
  // URL survives a reconnect even when the agent asked for a random name.
  std::erase_if(recycled, [&](const std::string& n) { return taken.contains(n); });
  std::size_t next_recycled = 0;
  for (std::size_t i = 0; i < tunnels.size(); ++i) {
    if (!out[i].empty()) continue;
    if (next_recycled < recycled.size()) {
      out[i] = recycled[next_recycled++];
      taken.insert(out[i]);
      continue;
    }
    for (int attempt = 0; attempt < 64 && out[i].empty(); ++attempt) {
      std::string candidate = generator.next();
      if (taken.contains(candidate) || names_.contains(candidate)) continue;
      // A random name someone owns (from an earlier run) is not offered to another token.
      auto owner = owner_of(candidate);
      if (!owner) return store_refusal();
      if (owner->empty()) out[i] = std::move(candidate);
    }
    if (out[i].empty()) {
      return Refusal{503, "no_free_name", "could not find a free random tunnel name; retry"};
    }
    taken.insert(out[i]);
  }
  return out;
}

core::Result<std::string> SessionRegistry::owner_of(const std::string& name) const {
  if (auto r = reserved_by_token_.find(name); r != reserved_by_token_.end()) return r->second;
  auto owner = owners_.owner(name);
  if (!owner) return owner.error();
  return owner->value_or(std::string());
}

Refusable<void> SessionRegistry::claim_owners(const std::vector<std::string>& names,
                                              const std::string& token_hash) {
  if (token_hash.empty()) return {};  // anonymous names are not kept
  for (const auto& name : names) {
    if (reserved_by_token_.contains(name)) continue;  // edge.yml is their record
    auto claimed = owners_.claim(name, token_hash);
    if (!claimed) return store_refusal();
    if (*claimed == store::ClaimOutcome::owned_by_other) return owned_refusal(name);
  }
  return {};
}

Refusable<void> SessionRegistry::check_name(const std::string& name, const std::string& session_id,
                                            const std::string& token_hash, TimePoint now) const {
  auto owner = owner_of(name);
  if (!owner) return store_refusal();
  if (!owner->empty() && *owner != token_hash) return owned_refusal(name);
  auto held = names_.find(name);
  if (held == names_.end() || held->second == session_id) return {};
  const Session& other = sessions_.at(held->second);
  if (other.connected) {
    return Refusal{409, "name_in_use",
                   fmt::format("tunnel name '{}' is already in use by another agent session; stop "
                               "that agent or pick another name",
                               name)};
  }
  // The same authtoken may take the name over at once: that is its owner restarting the agent
  // (a new process has no session id to resume with).
  if (other.token_hash == token_hash) return {};
  auto left = std::chrono::duration_cast<std::chrono::seconds>(other.lost_at + grace_ - now);
  return Refusal{409, "name_in_use",
                 fmt::format("tunnel name '{}' is reserved for {} more seconds for its "
                             "disconnected agent to resume; wait or pick another name",
                             name, std::max<long long>(1, left.count()))};
}

void SessionRegistry::attach(const std::string& session_id, std::shared_ptr<AgentSession> session) {
  if (auto it = sessions_.find(session_id); it != sessions_.end())
    it->second.live = std::move(session);
  if (on_sessions_changed) on_sessions_changed();
}

void SessionRegistry::detach(const std::string& session_id, const AgentSession* session,
                             TimePoint now) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || !it->second.connected || it->second.live.get() != session) return;
  if (on_sessions_changed) on_sessions_changed();
  if (grace_.count() <= 0) {
    erase_session(session_id);
    return;
  }
  it->second.connected = false;
  it->second.lost_at = now;
  it->second.live.reset();
}

Refusable<std::vector<std::string>> SessionRegistry::bind(
    const std::string& session_id, const std::vector<protocol::TunnelRequest>& tunnels,
    TimePoint now, NameGenerator& generator) {
  expire(now);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || !it->second.connected) {
    return Refusal{400, "no_session", "the agent session is not connected"};
  }
  auto assigned = assign(session_id, it->second.token_hash, tunnels, {}, it->second.names.size(),
                         now, generator);
  if (assigned) {
    const auto& names = *assigned;
    if (auto claimed = claim_owners(names, it->second.token_hash); !claimed) {
      return claimed.error();
    }
    for (const auto& n : names) {
      if (std::find(it->second.names.begin(), it->second.names.end(), n) ==
          it->second.names.end()) {
        it->second.names.push_back(n);
      }
      claim_name(n, session_id);
    }
    if (on_sessions_changed) on_sessions_changed();
  }
  return assigned;
}

void SessionRegistry::unbind(const std::string& session_id, const std::vector<std::string>& names) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  for (const auto& raw : names) {
    std::string n = core::to_lower(raw);
    if (auto held = names_.find(n); held != names_.end() && held->second == session_id) {
      names_.erase(held);
      if (it->second.token_hash.empty() && on_anonymous_name_released) {
        on_anonymous_name_released(n);
      }
    }
    std::erase(it->second.names, n);
  }
  if (on_sessions_changed) on_sessions_changed();
}

std::vector<std::string> SessionRegistry::connected_names() const {
  std::vector<std::string> out;
  for (const auto& [name, id] : names_) {
    if (auto s = sessions_.find(id); s != sessions_.end() && s->second.connected) {
      out.push_back(name);
    }
  }
  return out;
}

std::string SessionRegistry::token_hash_of(const std::string& session_id) const {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() ? std::string() : it->second.token_hash;
}

bool SessionRegistry::is_anonymous(const std::string& session_id) const {
  auto it = sessions_.find(session_id);
  return it != sessions_.end() && it->second.token_hash.empty();
}

SessionRegistry::Lookup SessionRegistry::lookup(std::string_view name, TimePoint now) {
  auto held = names_.find(name);
  if (held == names_.end()) return {};
  const std::string& id = held->second;
  Session& s = sessions_.at(id);
  if (!s.connected) {
    if (now - s.lost_at >= grace_) {
      erase_session(std::string(id));  // a copy: erasing the session erases `id` too
      return {};
    }
    return {State::lost, nullptr, id};
  }
  // Connected but not yet attached exists only between open() and attach() in the agent
  // listener (no suspension point between them); callers treat a null session as lost.
  return {State::live, s.live, id};
}

std::vector<std::string> SessionRegistry::names_of(const std::string& session_id) const {
  auto found = sessions_.find(session_id);
  if (found == sessions_.end()) return {};
  return found->second.names;
}

std::vector<std::shared_ptr<AgentSession>> SessionRegistry::live_sessions() const {
  std::vector<std::shared_ptr<AgentSession>> out;
  for (const auto& [id, s] : sessions_) {
    if (s.live) out.push_back(s.live);
  }
  return out;
}

void SessionRegistry::expire(TimePoint now) {
  std::vector<std::string> over;
  for (const auto& [id, s] : sessions_) {
    if (!s.connected && now - s.lost_at >= grace_) over.push_back(id);
  }
  for (const auto& id : over) erase_session(id);
}

void SessionRegistry::claim_name(const std::string& name, const std::string& session_id) {
  auto& holder = names_[name];
  if (!holder.empty() && holder != session_id) {
    if (auto old = sessions_.find(holder); old != sessions_.end())
      std::erase(old->second.names, name);
  }
  holder = session_id;
}

void SessionRegistry::erase_session(const std::string& session_id) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  const bool anonymous = it->second.token_hash.empty();
  for (const auto& n : it->second.names) {
    if (auto held = names_.find(n); held != names_.end() && held->second == session_id) {
      names_.erase(held);
      if (anonymous && on_anonymous_name_released) on_anonymous_name_released(n);
    }
  }
  sessions_.erase(it);
}

}  // namespace relay::edge
