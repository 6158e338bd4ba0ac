#include <chrono>
#include <map>

#include "relay/store/store.hpp"
#include "store/memory_delivery_queue.hpp"

namespace relay::store {
namespace {

// Names held for the life of the process: what the embedded edge needs, and what unit tests use.
class MemoryNameStore final : public NameStore {
 public:
  core::Result<ClaimOutcome> claim(std::string_view name, std::string_view owner) override {
    auto [it, fresh] = names_.try_emplace(std::string(name), Entry{std::string(owner), now()});
    if (fresh) return ClaimOutcome::claimed;
    return it->second.owner == owner ? ClaimOutcome::already_owner : ClaimOutcome::owned_by_other;
  }
  core::Result<bool> release(std::string_view name) override {
    return names_.erase(std::string(name)) > 0;
  }
  core::Result<std::optional<std::string>> owner(std::string_view name) override {
    auto it = names_.find(std::string(name));
    if (it == names_.end()) return std::optional<std::string>{};
    return std::optional<std::string>{it->second.owner};
  }
  core::Result<std::vector<NameRecord>> list() override {
    std::vector<NameRecord> out;
    for (const auto& [name, entry] : names_) out.push_back({name, entry.owner, entry.claimed_at});
    return out;
  }

 private:
  struct Entry {
    std::string owner;
    std::int64_t claimed_at;
  };
  static std::int64_t now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::map<std::string, Entry> names_;  // sorted: list() needs no sort
};

class MemoryStore final : public Store {
 public:
  NameStore& names() override { return names_; }
  PolicyStore& policies() override { return *policies_; }
  DeliveryQueue& deliveries() override { return *deliveries_; }

 private:
  MemoryNameStore names_;
  std::unique_ptr<PolicyStore> policies_ = detail::make_memory_policy_store();
  std::unique_ptr<DeliveryQueue> deliveries_ = detail::make_memory_delivery_queue();
};

}  // namespace

std::unique_ptr<Store> make_memory_store() { return std::make_unique<MemoryStore>(); }

}  // namespace relay::store
