#include "edge/buffer_policies.hpp"

namespace relay::edge {

const core::BufferPolicy* BufferPolicies::find(std::string_view name) const {
  if (policies_.empty()) return nullptr;  // the common edge: no lookup key is even built
  auto it = policies_.find(std::string(name));
  return it == policies_.end() ? nullptr : &it->second;
}

void BufferPolicies::set(const std::string& name, const core::BufferPolicy& policy) {
  if (!policy.enabled()) {
    policies_.erase(name);
    return;
  }
  policies_[name] = policy;
}

void BufferPolicies::erase(const std::string& name) { policies_.erase(name); }

void BufferPolicies::load(const std::vector<std::pair<std::string, core::BufferPolicy>>& policies) {
  policies_.clear();
  for (const auto& [name, policy] : policies) set(name, policy);
}

}  // namespace relay::edge
