#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/result.hpp"

namespace relay::store {

// Who owns a tunnel name: the SHA-256 (hex) of the authtoken that first claimed it, never the
// token. The store knows nothing of sessions or HTTP: a name is owned until an operator
// releases it, whether an agent holds it right now or not.
struct NameRecord {
  std::string name;
  std::string owner;            // token hash
  std::int64_t claimed_at = 0;  // Unix seconds
};

enum class ClaimOutcome {
  claimed,         // the name was free and is now `owner`'s
  already_owner,   // `owner` owned it already (nothing written)
  owned_by_other,  // another owner holds it: refuse
};

// Name ownership of one edge (SQLite) or of a cluster (Redis, issue 12). Calls are synchronous
// and rare (an agent connecting or binding a tunnel): the SQLite implementation answers in
// microseconds and writes, with one fsync, only for a name never claimed before. Errors
// (an unreadable or full disk) come back as store::Errc values; the implementation logs the
// details once.
class NameStore {
 public:
  virtual ~NameStore() = default;

  // Atomic: two claims of a free name, from this process or another edge, give it to one.
  virtual core::Result<ClaimOutcome> claim(std::string_view name, std::string_view owner) = 0;
  // Frees the name for the next claim; false when nobody owned it.
  virtual core::Result<bool> release(std::string_view name) = 0;
  virtual core::Result<std::optional<std::string>> owner(std::string_view name) = 0;
  // Every owned name, sorted by name.
  virtual core::Result<std::vector<NameRecord>> list() = 0;
};

}  // namespace relay::store
