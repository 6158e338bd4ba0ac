#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "relay/core/buffer_policy.hpp"

namespace relay::edge {

// The durable delivery policy of each tunnel name that has one (docs/delivery.md): what the
// public side asks for every request (no entry: the tunnel is not buffered and takes the
// unchanged path), and what the delivery scheduler reads for concurrency, order and ttl.
// Filled at edge start from store::PolicyStore (names bound by their owning authtoken), and
// kept current by connect and bind; an anonymous session's policies live only in here, until its
// names are released. Touched only on the io thread.
class BufferPolicies {
 public:
  // nullptr: the name is not buffered. Valid until the next change to this name.
  [[nodiscard]] const core::BufferPolicy* find(std::string_view name) const;
  // A name bound with `policy`; one that is off removes the name.
  void set(const std::string& name, const core::BufferPolicy& policy);
  void erase(const std::string& name);
  // Replaces everything (the persisted policies, at start).
  void load(const std::vector<std::pair<std::string, core::BufferPolicy>>& policies);

  [[nodiscard]] bool empty() const { return policies_.empty(); }
  [[nodiscard]] std::size_t size() const { return policies_.size(); }

 private:
  // Names are lower case (the router and the registry lower them first).
  std::unordered_map<std::string, core::BufferPolicy> policies_;
};

}  // namespace relay::edge
